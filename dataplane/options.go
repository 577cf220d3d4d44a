package dataplane

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hostnet"
)

// Options configure the dataplane. The plugin fills them from its network
// configuration; nothing here knows the netconf's keys.
type Options struct {
	// Name is the network configuration's name: the HNS network (or the
	// prefix of one per block) and the suffix of every pod endpoint name.
	Name string
	// SingleNetwork: one HNS network called Name, not one per block.
	SingleNetwork bool
	// Mode is the networking mode (Overlay or L2Bridge); required.
	Mode Mode
	// Host enables forwarding on host interfaces, for the modes that need
	// it (L2Bridge).
	Host hostnet.Forwarder
	// LockPath serialises network creation between plugin processes.
	LockPath string
	// Policies are the configuration's EndpointPolicy values, as written.
	Policies           []json.RawMessage
	LoopbackDSR        bool
	DisableDefaultDeny bool
	// DNS is what the pod endpoints get.
	DNS hns.Dns
}

// Pool is what the endpoint policies need of an IP pool.
type Pool struct {
	CIDR        netip.Prefix
	NATOutgoing bool
}

// PolicyError is a configured endpoint policy that cannot be used; Index is
// its position among the EndpointPolicy entries.
type PolicyError struct {
	Index int
	Err   error
}

func (e *PolicyError) Error() string { return fmt.Sprintf("endpoint policy %d: %v", e.Index, e.Err) }
func (e *PolicyError) Unwrap() error { return e.Err }

// ErrNotReady: HNS has not finished setting up the network (its management
// IP has not appeared yet); the call may succeed later.
var ErrNotReady = errors.New("HNS network not ready")
