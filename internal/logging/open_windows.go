//go:build windows

package logging

import (
	"os"

	"golang.org/x/sys/windows"
)

// openAppend opens (creating) the log for appending, sharing delete
// access: every plugin process of a burst of pods holds the log open, and
// Go's os.OpenFile does not share delete, so the one that must rotate it
// could never rename it. The access rights are those os.OpenFile asks for
// with O_APPEND: writes go to the end, atomically, whoever else appends.
func openAppend(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	const access = windows.FILE_APPEND_DATA | windows.FILE_WRITE_ATTRIBUTES | windows.FILE_WRITE_EA |
		windows.STANDARD_RIGHTS_WRITE | windows.SYNCHRONIZE
	const share = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE
	h, err := windows.CreateFile(p, access, share, nil, windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
