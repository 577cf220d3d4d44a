//go:build unix

package sim

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an flock on path (created if missing) and returns the
// function that releases it. Each call opens its own file description, so
// goroutines of one process exclude each other as separate processes do.
func lockFile(path string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	fd := int(f.Fd())
	for {
		err = unix.Flock(fd, how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return func() {
		unix.Flock(fd, unix.LOCK_UN)
		f.Close()
	}, nil
}

// lockFreeReads: on Unix a file may be renamed over while another process
// reads it, so the files that are replaced with a new inode (config and
// faults, read by every call) are read without the lock.
const lockFreeReads = true
