//go:build !windows

package plugin

import (
	"os/exec"
	"syscall"
)

// startInGroup starts the delegated plugin in a process group of its own,
// so that the deadline kills the whole group: a wrapper script's children
// would otherwise keep running, and keep its stdout open. The returned
// function releases the group once the plugin has exited.
func startInGroup(cmd *exec.Cmd) (func(), error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return func() {}, cmd.Start()
}
