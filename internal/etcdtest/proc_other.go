//go:build !linux

package etcdtest

import (
	"errors"
	"os"
	"os/exec"
)

var terminate = os.Interrupt

func dieWithParent(*exec.Cmd) {}

func pause(*os.Process) error  { return errors.New("pausing a process needs SIGSTOP (Linux)") }
func resume(*os.Process) error { return errors.New("resuming a process needs SIGCONT (Linux)") }
