//go:build !windows

package statedir

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

const othersReason = "may write it"

// openToOthers makes path group- and world-writable.
func openToOthers(t *testing.T, path string, dir bool) {
	t.Helper()
	if err := os.Chmod(path, 0o777); err != nil {
		t.Fatal(err)
	}
}

// chownOther gives path to a uid that is neither root nor ours; it needs
// root, as make test does.
func chownOther(t *testing.T, path string) {
	t.Helper()
	if err := os.Lchown(path, 4242, 4242); err != nil {
		t.Fatalf("chown %s (this test must run as root): %v", path, err)
	}
}

func TestUnixModes(t *testing.T) {
	dir := stateDir(t)
	lock := filepath.Join(dir, "ipam.lock")
	if err := PrepareLock(lock); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "hint")
	if err := WriteFile(file, nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, lock: 0o600, file: 0o600} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %04o", path, st.Mode().Perm(), err, want)
		}
	}
}

func TestUnixUntrusted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   os.FileMode // applied to the file
		chown  bool
		reason string
	}{
		{"group-writable", 0o620, false, "mode 0620: its group may write it"},
		{"world-writable", 0o602, false, "mode 0602: others may write it"},
		{"another owner", 0o600, true, "owned by uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := stateDir(t)
			file := filepath.Join(dir, "cluster-cache.json")
			if err := WriteFile(file, []byte("{}")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(file, tc.mode); err != nil {
				t.Fatal(err)
			}
			if tc.chown {
				chownOther(t, file)
			}
			_, err := ReadFile(file)
			wantUntrusted(t, err, file, tc.reason)
		})
	}
}

func TestUnixReadableLockIsRestricted(t *testing.T) {
	dir := stateDir(t)
	lock := filepath.Join(dir, "ipam.lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil { // as flock made it
		t.Fatal(err)
	}
	if err := os.Chmod(lock, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrepareLock(lock); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(lock); st.Mode().Perm() != 0o600 {
		t.Errorf("lock mode %04o after PrepareLock, want 0600", st.Mode().Perm())
	}
}

func TestUnixOtherOwnersAreRefused(t *testing.T) {
	dir := stateDir(t)
	lock := filepath.Join(dir, "ipam.lock")
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	chownOther(t, lock)
	wantUntrusted(t, PrepareLock(lock), lock, "owned by uid 4242")

	// A directory of another owner is never restricted, even the plugin's own.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	chownOther(t, dir)
	wantUntrusted(t, Ensure(dir, true), dir, "owned by uid 4242")
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o777 {
		t.Errorf("mode changed to %04o", st.Mode().Perm())
	}
}

func TestUnixNewDirectoryIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := stateDir(t)
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("mode %04o with umask 0, want 0700", st.Mode().Perm())
	}
}

// A state directory that is a symbolic link of another user (who, in a
// sticky directory like /tmp, may replace it) is refused, though its target
// is trusted; one of ours is followed.
func TestUnixSymlinkOfAnotherOwner(t *testing.T) {
	target := stateDir(t)
	link := filepath.Join(tempDir(t), "state")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(link, true); err != nil {
		t.Fatalf("a link of ours to a trusted directory: %v", err)
	}
	chownOther(t, link)
	wantUntrusted(t, Ensure(link, true), link, "owned by uid 4242 (a symbolic link)")
}
