package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/internal/testdir"
)

// fullLog makes path a log over 1 MB, due for rotation.
func fullLog(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 1<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// at makes rotations happen at the given times.
func at(t *testing.T, times ...time.Time) {
	t.Helper()
	i := 0
	now = func() time.Time { i++; return times[min(i-1, len(times)-1)] }
	t.Cleanup(func() { now = time.Now })
}

func TestRotationPrunesOnlyItsOwnFiles(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		dir      string // under the test's directory
		log      string
		others   []string // files beside the log that are not rotations
		maxCount int
		rotate   int      // rotations
		want     []string // besides the others, the log and the lock
	}{
		{"a config file named like the log", "", "calico", []string{"calico.conf", "calico.log", "calico.2026-11-30"}, 1, 1,
			[]string{"calico.2026-11-30T02-00-00.000"}},
		{"max count 1 keeps the log just rotated", "", "cni.log", []string{"cni.log.old"}, 1, 3,
			[]string{"cni.log.2026-11-30T02-00-02.000"}},
		{"a path with glob characters", "logs[1]", "cni[a].log", []string{"cni[a].log.bak"}, 2, 4,
			[]string{"cni[a].log.2026-11-30T02-00-02.000", "cni[a].log.2026-11-30T02-00-03.000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(testdir.New(t), tc.dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.log)
			old := t0.Add(-40 * 24 * time.Hour)
			for _, o := range tc.others {
				if err := os.WriteFile(filepath.Join(dir, o), []byte("not a log"), 0o644); err != nil {
					t.Fatal(err)
				}
				os.Chtimes(filepath.Join(dir, o), old, old) // older than max age too
			}
			var times []time.Time
			for i := range tc.rotate {
				times = append(times, t0.Add(time.Duration(i)*time.Second))
			}
			at(t, times...)
			for range tc.rotate {
				fullLog(t, path)
				var stderr bytes.Buffer
				closeLog, err := Setup(Options{FilePath: path, MaxSize: 1, MaxCount: tc.maxCount}, &stderr)
				if err != nil {
					t.Fatal(err)
				}
				closeLog()
				if stderr.Len() > 0 {
					t.Errorf("stderr: %s", stderr.String())
				}
			}
			want := append(slices.Clone(tc.others), tc.want...)
			want = append(want, tc.log, "."+tc.log+".lock")
			slices.Sort(want)
			if got := names(t, dir); !slices.Equal(got, want) {
				t.Errorf("files after %d rotations:\n got %q\nwant %q", tc.rotate, got, want)
			}
		})
	}
}

func TestFailedRotationIsReported(t *testing.T) {
	dir := testdir.New(t)
	path := filepath.Join(dir, "cni.log")
	fullLog(t, path)
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	at(t, t0)
	// Something is in the way of the rotated name: the rename fails.
	blocker := path + "." + t0.Format(stampLayout)
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	closeLog, err := Setup(Options{FilePath: path, MaxSize: 1}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	closeLog()
	if !strings.Contains(stderr.String(), "log rotation failed") || !strings.Contains(stderr.String(), "cni.log") {
		t.Errorf("stderr %q does not report the failed rotation", stderr.String())
	}
	if got, _ := os.ReadFile(path); !strings.Contains(string(got), "log rotation failed") {
		t.Errorf("the log does not record the failed rotation either")
	}
}
