package logging

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/internal/testdir"
)

func TestSetupWritesBothAndRotates(t *testing.T) {
	dir := testdir.New(t)
	path := filepath.Join(dir, "cni.log")
	// A file already over 1 MB is rotated when the next process opens it.
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 1<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	closeLog, err := Setup(Options{Level: "debug", FilePath: path, MaxSize: 1, MaxCount: 1}, &stderr, "cmd", "ADD", "containerID", "abc")
	if err != nil {
		t.Fatal(err)
	}
	slog.Debug("hello", "k", "v")
	closeLog()
	got, _ := os.ReadFile(path)
	for _, out := range []string{stderr.String(), string(got)} {
		if !strings.Contains(out, "msg=hello") || !strings.Contains(out, "cmd=ADD") || !strings.Contains(out, "containerID=abc") {
			t.Errorf("log line lacks message or context: %q", out)
		}
	}
	rotated, _ := filepath.Glob(path + ".*")
	if len(rotated) != 1 {
		t.Fatalf("rotated files: %v, want 1", rotated)
	}
	// Keep only MaxCount rotated files.
	for i := 0; i < 2; i++ {
		os.WriteFile(path, bytes.Repeat([]byte("y"), 1<<20+1), 0o644)
		time.Sleep(2 * time.Millisecond) // rotated names carry milliseconds
		c, _ := Setup(Options{FilePath: path, MaxSize: 1, MaxCount: 1}, &stderr)
		c()
	}
	rotated, _ = filepath.Glob(path + ".*")
	if n := len(rotated); n != 1 {
		t.Fatalf("kept %d rotated files, want 1: %v", n, rotated)
	}
}
