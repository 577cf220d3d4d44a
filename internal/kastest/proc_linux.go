package kastest

import (
	"os/exec"
	"syscall"
)

var terminate = syscall.SIGTERM

// dieWithParent makes the kernel kill the server if the test binary dies
// without stopping it (a panic, a timeout, a forgotten Main).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
