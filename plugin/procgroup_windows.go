package plugin

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts the delegated plugin in a new process group. The
// deadline kills the plugin process; descendants that still hold its stdout
// are cut off by the command's WaitDelay, so the call returns on time.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
