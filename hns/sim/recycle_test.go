package sim

import (
	"os"
	"testing"
)

// Outside an exclusive section the pool is listed for each file written;
// in one, once, and then kept by the section: both must reuse every inode.
func TestPutAndDropRecycleInodes(t *testing.T) {
	t.Run("listed each time", func(t *testing.T) { testRecycle(t, store{dir: tempDir(t)}) })
	t.Run("listed once per section", func(t *testing.T) { testRecycle(t, store{dir: tempDir(t), spares: new([]string)}) })
}

func testRecycle(t *testing.T, st store) {
	check(t, "init", st.init())
	path := st.path(endpointsDir, "x.json")
	poolSize := func() int {
		names, err := listNames(st.path(poolDir))
		check(t, "list pool", err)
		return len(names)
	}
	read := func() string {
		b, err := os.ReadFile(path)
		check(t, "read", err)
		return string(b)
	}
	steps := []struct {
		name     string
		do       func() error
		want     string // content of path ("" when absent)
		wantPool int
	}{
		{"create", func() error { return st.putFile(path, []byte("a long first version")) }, "a long first version", 0},
		{"overwrite shorter", func() error { return st.putFile(path, []byte("short")) }, "short", 1},
		{"overwrite reuses the pooled inode", func() error { return st.putFile(path, []byte("third")) }, "third", 1},
		{"drop", func() error { return st.dropFile(path) }, "", 2},
		{"drop missing", func() error { return st.dropFile(path) }, "", 2},
		{"create from the pool", func() error { return st.putFile(path, []byte("again")) }, "again", 1},
	}
	for _, s := range steps {
		check(t, s.name, s.do())
		if s.want == "" {
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("%s: file exists (%v)", s.name, err)
			}
		} else if got := read(); got != s.want {
			t.Errorf("%s: content %q, want %q", s.name, got, s.want)
		}
		if got := poolSize(); got != s.wantPool {
			t.Errorf("%s: pool holds %d inodes, want %d", s.name, got, s.wantPool)
		}
	}
}

// A process killed between linking the old inode under .pending and
// renaming the spare leaves a link to a live file there; it must never be
// handed out as a spare.
func TestStalePendingLinkIsNeverReused(t *testing.T) {
	st := store{dir: tempDir(t)}
	check(t, "init", st.init())
	path := st.path(endpointsDir, "x.json")
	check(t, "put", st.putFile(path, []byte("live")))
	check(t, "link", os.Link(path, st.path(pendingDir, "stale")))
	for range 3 {
		check(t, "put other", st.putFile(st.path(endpointsDir, "y.json"), []byte("other")))
		check(t, "drop other", st.dropFile(st.path(endpointsDir, "y.json")))
	}
	if b, _ := os.ReadFile(path); string(b) != "live" {
		t.Errorf("live file overwritten through a stale pending link: %q", b)
	}
}
