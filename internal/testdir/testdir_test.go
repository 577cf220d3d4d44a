package testdir

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// The directory is there for the test and gone after it, except under Wine
// (GOOS windows here), where removing it may fail: there the test must
// still pass, which t.TempDir's does not.
func TestNew(t *testing.T) {
	var dir string
	ok := t.Run("inner", func(t *testing.T) {
		dir = New(t)
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if !ok {
		t.Fatal("the test using the directory failed")
	}
	if _, err := os.Stat(dir); runtime.GOOS != "windows" && !os.IsNotExist(err) {
		t.Errorf("%s after the test: %v, want it removed", dir, err)
	}
}
