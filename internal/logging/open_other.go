//go:build !windows

package logging

import "os"

// openAppend opens (creating) the log for appending.
func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}
