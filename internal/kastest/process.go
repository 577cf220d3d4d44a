package kastest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// process is one server child process with its log file.
type process struct {
	name     string
	cmd      *exec.Cmd
	exited   chan struct{}
	logPath  string
	stopOnce sync.Once
}

func startProcess(name, bin string, args []string, logPath string) (*process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	fmt.Fprintf(log, "### %s %s\n", bin, strings.Join(args, " "))
	p := &process{name: name, cmd: exec.Command(bin, args...), exited: make(chan struct{}), logPath: logPath}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

// running reports an error if the process has exited.
func (p *process) running() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited: %v", p.name, p.cmd.ProcessState)
	default:
		return nil
	}
}

// stop sends TERM, then KILL after grace.
func (p *process) stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		if p.cmd.Process.Signal(terminate) != nil {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// tail returns the last lines of the log.
func (p *process) tail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (p *process) portTaken() bool {
	b, _ := os.ReadFile(p.logPath)
	return bytes.Contains(b, []byte("address already in use"))
}

// errPortTaken: a free port was taken before the server could bind it.
var errPortTaken = errors.New("port taken")

// poll calls check every interval until it reports done or an error, or
// until limit has passed (an error naming what check last reported).
func poll(limit, interval time.Duration, check func() (done bool, err error)) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var last error
	for {
		done, err := check()
		if done {
			return err
		}
		last = err
		select {
		case <-deadline.C:
			return fmt.Errorf("not done after %s (last: %v)", limit, last)
		case <-tick.C:
		}
	}
}
