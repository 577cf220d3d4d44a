//go:build !windows

package hostnet

import (
	"context"
	"errors"
	"net/netip"
)

// Native is the host's own IP stack. Only Windows has one this package
// drives; elsewhere the simulator stands in for the host.
func Native() Forwarder { return unsupported{} }

type unsupported struct{}

func (unsupported) EnableForwarding(context.Context, netip.Addr) error {
	return errors.New("hostnet: enabling forwarding is implemented on Windows only")
}
