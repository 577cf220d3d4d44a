//go:build !windows

package plugin

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the delegated plugin in a process group of its own
// and makes the deadline kill the whole group: a wrapper script's children
// would otherwise keep running, and keep its stdout open.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
