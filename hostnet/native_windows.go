//go:build windows

package hostnet

import (
	"context"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Native is the Windows IP Helper API.
func Native() Forwarder { return native{} }

type native struct{}

// EnableForwarding finds the interface holding addr in the unicast address
// table and sets ForwardingEnabled on its IPv4 row, as
// "Set-NetIPInterface -AddressFamily IPv4 -Forwarding Enabled" does, without
// a PowerShell process.
func (native) EnableForwarding(ctx context.Context, addr netip.Addr) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !addr.Is4() {
		return fmt.Errorf("hostnet: %s is not an IPv4 address", addr)
	}
	luid, err := interfaceOf(addr)
	if err != nil {
		return err
	}
	var row windows.MibIpInterfaceRow
	row.Family = windows.AF_INET
	row.InterfaceLuid = luid
	if err := windows.GetIpInterfaceEntry(&row); err != nil {
		return fmt.Errorf("hostnet: GetIpInterfaceEntry for %s: %w", addr, err)
	}
	if row.ForwardingEnabled != 0 {
		return nil
	}
	row.ForwardingEnabled = 1
	// SetIpInterfaceEntry refuses a row whose SitePrefixLength is set for
	// IPv4 (its documentation says to zero it after a Get).
	row.SitePrefixLength = 0
	if err := setIpInterfaceEntry(&row); err != nil {
		return fmt.Errorf("hostnet: SetIpInterfaceEntry for %s: %w", addr, err)
	}
	return nil
}

// interfaceOf returns the LUID of the interface holding addr.
func interfaceOf(addr netip.Addr) (uint64, error) {
	var table *windows.MibUnicastIpAddressTable
	if err := windows.GetUnicastIpAddressTable(windows.AF_INET, &table); err != nil {
		return 0, fmt.Errorf("hostnet: GetUnicastIpAddressTable: %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(table))
	for _, row := range unsafe.Slice(&table.Table[0], table.NumEntries) {
		// Address is a SOCKADDR_INET union; for AF_INET it holds a sockaddr_in.
		in4 := (*windows.RawSockaddrInet4)(unsafe.Pointer(&row.Address))
		if in4.Family == windows.AF_INET && netip.AddrFrom4(in4.Addr) == addr {
			return row.InterfaceLuid, nil
		}
	}
	return 0, fmt.Errorf("%w: %s", ErrNoInterface, addr)
}
