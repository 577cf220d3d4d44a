package etcdtest

import (
	"os"
	"os/exec"
	"syscall"
)

var terminate = syscall.SIGTERM

// dieWithParent makes the kernel kill etcd if the test binary dies without
// stopping it (a panic, a timeout, a forgotten Main).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func pause(p *os.Process) error  { return p.Signal(syscall.SIGSTOP) }
func resume(p *os.Process) error { return p.Signal(syscall.SIGCONT) }
