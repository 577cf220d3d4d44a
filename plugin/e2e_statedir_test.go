//go:build !windows

package plugin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A state directory that others may write, or an IPAM lock of another
// user, fails ADD and DEL with code 7 naming ipam_lock_file and the path,
// before anything is written; once the operator fixes it, both work.
func TestUntrustedStateDirectoryIntegration(t *testing.T) {
	for _, tc := range []struct {
		name      string
		break_    func(lock string) error
		fix       func(lock string) error
		wantInMsg string
	}{
		{"directory writable by others",
			func(lock string) error { return os.Chmod(filepath.Dir(lock), 0o777) },
			func(lock string) error { return os.Chmod(filepath.Dir(lock), 0o755) },
			"mode 0777"},
		{"lock of another user",
			func(lock string) error { return os.Chown(lock, 4242, 4242) },
			func(lock string) error { return os.Chown(lock, os.Geteuid(), os.Getegid()) },
			"owned by uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			lock := h.conf["ipam_lock_file"].(string)
			rt := pod("web-0", h.namespace())
			h.mustAdd(rt)
			if err := h.del(rt); err != nil {
				t.Fatal(err)
			}
			if err := tc.break_(lock); err != nil {
				t.Fatalf("%v (chown needs root, as make test has)", err)
			}
			_, err := h.add(rt)
			if code := cniCode(err); code != 7 || !strings.Contains(err.Error(), "ipam_lock_file") || !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Fatalf("ADD: %v (code %d); want code 7 naming ipam_lock_file and saying %q", err, code, tc.wantInMsg)
			}
			h.leakCheck()
			if err := h.del(rt); cniCode(err) != 7 {
				t.Fatalf("DEL: %v; want code 7", err)
			}
			if err := tc.fix(lock); err != nil {
				t.Fatal(err)
			}
			h.mustAdd(rt)
			if err := h.del(rt); err != nil {
				t.Fatal(err)
			}
			h.leakCheck()
		})
	}
}
