package hostnet

import (
	"context"
	"errors"
	"net/netip"
)

// Forwarder turns IPv4 forwarding on for the host interface holding an
// address.
type Forwarder interface {
	// EnableForwarding enables IPv4 forwarding on the interface that holds
	// addr; an interface that forwards already is left alone. No interface
	// holding addr is ErrNoInterface (wrapped).
	EnableForwarding(ctx context.Context, addr netip.Addr) error
}

// ErrNoInterface: no host interface holds the address (yet: HNS moves the
// adapter's address to its vNIC, and creates a host endpoint's vNIC, some
// time after the call that causes it).
var ErrNoInterface = errors.New("no host interface holds the address")
