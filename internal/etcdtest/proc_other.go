//go:build !linux

package etcdtest

import (
	"os"
	"os/exec"
)

var terminate = os.Interrupt

func dieWithParent(*exec.Cmd) {}
