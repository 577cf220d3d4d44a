//go:build windows

package hostnet

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// golang.org/x/sys/windows has GetIpInterfaceEntry but not its setter.
var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procSetIpInterfaceEntry = iphlpapi.NewProc("SetIpInterfaceEntry")
)

// setIpInterfaceEntry calls SetIpInterfaceEntry, which returns a
// NETIO_STATUS (a Win32 error code) rather than setting the last error.
func setIpInterfaceEntry(row *windows.MibIpInterfaceRow) error {
	if err := procSetIpInterfaceEntry.Find(); err != nil {
		return err
	}
	r, _, _ := syscall.SyscallN(procSetIpInterfaceEntry.Addr(), uintptr(unsafe.Pointer(row)))
	if r != 0 {
		return syscall.Errno(r)
	}
	return nil
}
