//go:build windows

package hostnet

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// The unicast address table is read and searched: loopback is found, an
// address no interface holds is ErrNoInterface (what the dataplane turns
// into "try again later"). Setting the flag needs an administrator on a
// real host, so it is not exercised here.
func TestInterfaceLookup(t *testing.T) {
	if luid, err := interfaceOf(netip.MustParseAddr("127.0.0.1")); err != nil || luid == 0 {
		t.Errorf("interfaceOf(127.0.0.1) = %d, %v", luid, err)
	}
	err := Native().EnableForwarding(context.Background(), netip.MustParseAddr("192.0.2.77"))
	if !errors.Is(err, ErrNoInterface) {
		t.Errorf("EnableForwarding(192.0.2.77) = %v, want ErrNoInterface", err)
	}
	if err := Native().EnableForwarding(context.Background(), netip.MustParseAddr("::1")); err == nil {
		t.Error("EnableForwarding(::1): no error for an IPv6 address")
	}
}
