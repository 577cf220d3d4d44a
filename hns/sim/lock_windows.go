//go:build windows

package sim

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockFile locks the first byte of path (created if missing) with
// LockFileEx and returns the function that releases it. Each call opens its
// own handle, so goroutines of one process exclude each other as separate
// processes do.
func lockFile(path string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	var flags uint32
	if exclusive {
		flags = windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	h := windows.Handle(f.Fd())
	ol := new(windows.Overlapped)
	if err := windows.LockFileEx(h, flags, 0, 1, 0, ol); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "LockFileEx", Path: path, Err: err}
	}
	return func() {
		windows.UnlockFileEx(h, 0, 1, 0, ol)
		f.Close()
	}, nil
}

// lockFreeReads: Windows refuses to rename over a file that another
// process has open (os.Open does not share delete access), so even config
// and faults are read under the shared lock.
const lockFreeReads = false
