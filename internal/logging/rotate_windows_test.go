//go:build windows

package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/calico-win/cni/internal/testdir"
)

// Under a burst of pods, other plugin processes have the log open when one
// of them must rotate it: the rename must still succeed.
func TestRotationWhileOthersHaveTheLogOpen(t *testing.T) {
	dir := testdir.New(t)
	path := filepath.Join(dir, "cni.log")
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	at(t, t0)
	var stderr bytes.Buffer
	// Another process's handle, opened as every plugin process opens it.
	other, _, err := openRotated(Options{FilePath: path, MaxSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Write(bytes.Repeat([]byte("x"), 1<<20+1)); err != nil {
		t.Fatal(err)
	}
	closeLog, err := Setup(Options{FilePath: path, MaxSize: 1}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	closeLog()
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	rotated := path + "." + t0.Format(stampLayout)
	if st, err := os.Stat(rotated); err != nil || st.Size() < 1<<20 {
		t.Fatalf("the full log was not rotated to %s: %v", rotated, err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() >= 1<<20 {
		t.Errorf("the log was not started afresh: %v", err)
	}
	// The other process keeps appending to what is now the rotated file.
	if _, err := other.Write([]byte("more\n")); err != nil {
		t.Errorf("writing through the other handle after the rename: %v", err)
	}
}
