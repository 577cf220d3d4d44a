//go:build !windows

package plugin_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks start each plugin process through internal/peakrss, which
// reports the process's own peak RSS: a child started by the benchmark
// itself would inherit the benchmark's high-water mark (see its doc).

var peakrssSeq atomic.Int64

var peakrss struct {
	once sync.Once
	bin  string
	err  error
}

func peakrssBin(tb testing.TB) string {
	peakrss.once.Do(func() {
		dir, err := os.MkdirTemp("", "peakrss-")
		if err != nil {
			peakrss.err = err
			return
		}
		peakrss.bin = filepath.Join(dir, "peakrss")
		if out, err := exec.Command("go", "build", "-o", peakrss.bin, "../internal/peakrss").CombinedOutput(); err != nil {
			peakrss.err = fmt.Errorf("building internal/peakrss: %v\n%s", err, out)
		}
	})
	if peakrss.err != nil {
		tb.Fatal(peakrss.err)
	}
	return peakrss.bin
}

// measured is what peakrss wrote down about one process.
type measured struct {
	wall, cpu time.Duration
	rssKB     int64
}

// measure wraps cmd in peakrss; read returns the figures once cmd ran.
func measure(tb testing.TB, cmd *exec.Cmd) (read func() (measured, error)) {
	out := filepath.Join(os.TempDir(), fmt.Sprintf("peakrss-%d-%d", os.Getpid(), peakrssSeq.Add(1)))
	cmd.Args = append([]string{peakrssBin(tb)}, cmd.Args...)
	cmd.Args[1] = cmd.Path
	cmd.Path = cmd.Args[0]
	cmd.Env = append(cmd.Env, "PEAKRSS_OUT="+out)
	return func() (measured, error) {
		var m measured
		b, err := os.ReadFile(out)
		if err != nil {
			return m, err
		}
		os.Remove(out)
		var wall, cpu int64
		if _, err := fmt.Sscan(string(b), &m.rssKB, &wall, &cpu); err != nil {
			return m, fmt.Errorf("peakrss output %q: %w", b, err)
		}
		m.wall, m.cpu = time.Duration(wall), time.Duration(cpu)
		return m, nil
	}
}
