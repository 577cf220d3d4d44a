//go:build !windows

package sim

import (
	"os"
	"syscall"
)

// rename is os.Rename without the Lstat of newpath that os.Rename makes on
// Unix to refuse renaming onto a directory: the simulator only renames
// files onto files, and that extra system call was one in six of a CNI
// call's file operations here.
func rename(oldpath, newpath string) error {
	for {
		err := syscall.Rename(oldpath, newpath)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
		}
		return nil
	}
}
