package statedir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tempDir is t.TempDir without its RemoveAll failing the test: under Wine,
// where these tests also run, removing a directory can fail.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "statedir-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// stateDir is a fresh state directory made by Ensure.
func stateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(tempDir(t), "parent", "state")
	if err := Ensure(dir, false); err != nil {
		t.Fatalf("Ensure of a new directory: %v", err)
	}
	return dir
}

func wantTrusted(t *testing.T, path string, lock bool) {
	t.Helper()
	p, err := inspectPath(path, lock)
	if err != nil {
		t.Fatal(err)
	}
	if !p.ok() {
		t.Errorf("%s is not private: %s", path, p)
	}
}

func wantUntrusted(t *testing.T, err error, path, reason string) {
	t.Helper()
	var ue *UntrustedError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want an UntrustedError for %s", err, path)
	}
	if ue.Path != path || !strings.Contains(ue.Reason, reason) {
		t.Errorf("got %q, want path %s and a reason containing %q", err, path, reason)
	}
	if !strings.Contains(err.Error(), Trusted) {
		t.Errorf("%q does not say who may change it (%s)", err, Trusted)
	}
}

func TestCreatedStateIsPrivate(t *testing.T) {
	dir := stateDir(t)
	wantTrusted(t, dir, false)
	lock := filepath.Join(dir, "ipam.lock")
	if err := PrepareLock(lock); err != nil {
		t.Fatal(err)
	}
	wantTrusted(t, lock, true)
	if err := PrepareLock(lock); err != nil {
		t.Fatalf("PrepareLock of the existing lock: %v", err)
	}
	file := filepath.Join(dir, "hint")
	for _, v := range []string{"10.0.0.0/26", "10.0.0.64/26"} {
		if err := WriteFile(file, []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(file)
		if err != nil || string(got) != v {
			t.Fatalf("ReadFile = %q, %v; want %q", got, err, v)
		}
	}
	wantTrusted(t, file, true)
	if err := Ensure(dir, false); err != nil {
		t.Fatalf("Ensure of the existing directory: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the directory holds %d entries, want the lock and the hint (no temporary file left)", len(entries))
	}
}

func TestFileOthersCanWriteIsNotTrusted(t *testing.T) {
	dir := stateDir(t)
	file := filepath.Join(dir, "cluster-cache.json")
	if err := WriteFile(file, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	openToOthers(t, file, false)
	_, err := ReadFile(file)
	wantUntrusted(t, err, file, othersReason)
	// Writing replaces the file with a private one, which is trusted again.
	if err := WriteFile(file, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(file); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("after rewriting: %q, %v", got, err)
	}
}

func TestDirectoryOthersCanWrite(t *testing.T) {
	dir := stateDir(t)
	file := filepath.Join(dir, "hint")
	if err := WriteFile(file, []byte("x")); err != nil {
		t.Fatal(err)
	}
	openToOthers(t, dir, true)
	_, err := ReadFile(file)
	wantUntrusted(t, err, dir, othersReason)
	wantUntrusted(t, Ensure(dir, false), dir, othersReason)
	// The plugin's own directory, owned by a trusted principal, is restricted.
	if err := Ensure(dir, true); err != nil {
		t.Fatalf("Ensure with restrict: %v", err)
	}
	wantTrusted(t, dir, false)
	if got, err := ReadFile(file); err != nil || string(got) != "x" {
		t.Fatalf("after restricting: %q, %v", got, err)
	}
}

func TestLockOthersCanOpenIsRestricted(t *testing.T) {
	dir := stateDir(t)
	lock := filepath.Join(dir, "ipam.lock")
	if err := PrepareLock(lock); err != nil {
		t.Fatal(err)
	}
	openToOthers(t, lock, false)
	if p, _ := inspectPath(lock, true); p.ok() {
		t.Fatalf("opening %s to others did not show", lock)
	}
	if err := PrepareLock(lock); err != nil {
		t.Fatalf("PrepareLock of a lock of a trusted owner that others may open: %v", err)
	}
	wantTrusted(t, lock, true)
}

func TestEnsureReportsWhatItCannotCreate(t *testing.T) {
	file := filepath.Join(tempDir(t), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := Ensure(filepath.Join(file, "state"), false)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(file, "state")) {
		t.Fatalf("Ensure under a file: %v, want an error naming the directory", err)
	}
}

// What the checks cost a CNI call: the directory and the two locks checked,
// and one cache read.
func BenchmarkCallChecks(b *testing.B) {
	d, err := os.MkdirTemp("", "statedir-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(d)
	dir := filepath.Join(d, "state")
	if err := Ensure(dir, false); err != nil {
		b.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	if err := WriteFile(cache, []byte("{}")); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := Ensure(dir, false); err != nil {
			b.Fatal(err)
		}
		for _, l := range []string{"ipam.lock", "hns-network.lock"} {
			if err := PrepareLock(filepath.Join(dir, l)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := ReadFile(cache); err != nil {
			b.Fatal(err)
		}
	}
}

// OverwriteFile writes a trusted file in place (the same file, shorter
// contents truncated), creates a missing one private, and replaces one
// that others could have written instead of writing into it.
func TestOverwriteFile(t *testing.T) {
	dir := stateDir(t)
	file := filepath.Join(dir, "ipam-block-hint")
	if err := OverwriteFile(file, []byte("a longer first value")); err != nil {
		t.Fatal(err)
	}
	wantTrusted(t, file, true)
	before, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := OverwriteFile(file, []byte("short")); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(file); err != nil || string(got) != "short" {
		t.Fatalf("ReadFile = %q, %v; want %q", got, err, "short")
	}
	after, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("a trusted file was replaced, not written in place")
	}
	openToOthers(t, file, false)
	if err := OverwriteFile(file, []byte("third")); err != nil {
		t.Fatal(err)
	}
	replaced, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(after, replaced) {
		t.Error("a file others could write was written in place, not replaced")
	}
	wantTrusted(t, file, true)
	if got, err := ReadFile(file); err != nil || string(got) != "third" {
		t.Fatalf("ReadFile = %q, %v; want %q", got, err, "third")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the file alone", len(entries))
	}
}

// A link in the state directory is replaced by a file, never written
// through.
func TestOverwriteFileDoesNotFollowLinks(t *testing.T) {
	dir := stateDir(t)
	target := filepath.Join(tempDir(t), "elsewhere")
	if err := os.WriteFile(target, []byte("not the plugin's"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "ipam-block-hint")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	if err := OverwriteFile(link, []byte("hint")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "not the plugin's" {
		t.Errorf("the link's target was written: %q", got)
	}
	if st, err := os.Lstat(link); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the link was not replaced by a file: %v, %v", st, err)
	}
}
