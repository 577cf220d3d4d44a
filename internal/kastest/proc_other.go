//go:build !linux

package kastest

import (
	"os"
	"os/exec"
)

var terminate = os.Interrupt

func dieWithParent(*exec.Cmd) {}
