//go:build !windows

package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/calico-win/cni/ipam"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	etcdstore "github.com/calico-win/cni/datastore/etcd"
	"github.com/calico-win/cni/datastore/kdd"
	"github.com/calico-win/cni/internal/etcdtest"
)

// How someone other than the plugin's user may have left a state file: open
// to others, or owned by another user (chown needs root, as make test has).
var untrusting = []struct {
	name string
	do   func(t *testing.T, path string)
}{
	{"group- and world-writable", func(t *testing.T, path string) {
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
	}},
	{"owned by another user", func(t *testing.T, path string) {
		if err := os.Chown(path, 4242, 4242); err != nil {
			t.Fatalf("chown %s (this test must run as root): %v", path, err)
		}
	}},
}

// A cluster cache that others could have rewritten (a forged pool) is not
// served: the objects are read from the datastore, and the cache is
// replaced by a private one.
func TestUntrustedClusterCacheIsIgnoredIntegration(t *testing.T) {
	srv := etcdtest.Start(t)
	ready := true
	srv.PutClusterInformation(t, &ready)
	srv.PutIPAMConfig(t, true, true, 0)
	srv.PutNode(t, "win-1", nil)
	srv.PutIPPool(t, datastore.IPPool{Name: "p1", CIDR: netip.MustParsePrefix("10.1.0.0/16"), BlockSize: 26})
	st, err := etcdstore.New(etcdstore.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := datastore.Query{Config: true, Pools: true, ClusterInfo: true, Reservations: true, Node: "win-1"}
	for _, u := range untrusting {
		t.Run(u.name, func(t *testing.T) {
			nc := &NetConf{Name: "Calico", IPAMLockFile: filepath.Join(t.TempDir(), "state", "ipam.lock")}
			if err := prepareState(nc); err != nil {
				t.Fatal(err)
			}
			c := newCachedStore(st, nc, "win-1")
			now := time.Now()
			c.now = func() time.Time { return now }
			pools := func() string {
				t.Helper()
				s, err := c.Read(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				var cidrs []string
				for _, p := range s.Pools {
					cidrs = append(cidrs, p.CIDR.String())
				}
				return strings.Join(cidrs, ",")
			}
			if got := pools(); got != "10.1.0.0/16" {
				t.Fatalf("first read: pools %s", got)
			}
			// Forge the cache within its TTL.
			b, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			var e clusterEntry
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			e.Pools = []datastore.IPPool{{Name: "forged", CIDR: netip.MustParsePrefix("10.99.0.0/16"), BlockSize: 26}}
			if b, err = json.Marshal(e); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c.path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			u.do(t, c.path)
			if got := pools(); got != "10.1.0.0/16" {
				t.Fatalf("a cache that others could write was served: pools %s", got)
			}
			if st, err := os.Stat(c.path); err != nil || st.Mode().Perm() != 0o600 || int(st.Sys().(*syscall.Stat_t).Uid) != os.Geteuid() {
				t.Fatalf("the cache was not rewritten privately: %v, %v", st.Mode(), err)
			}
			if got := pools(); got != "10.1.0.0/16" {
				t.Fatalf("the rewritten cache: pools %s", got)
			}
		})
	}
}

// A block hint or a kept API group that others could have written is not
// used.
func TestUntrustedHintAndAPIGroupAreIgnored(t *testing.T) {
	for _, u := range untrusting {
		t.Run(u.name, func(t *testing.T) {
			nc := &NetConf{Name: "Calico", IPAMLockFile: filepath.Join(t.TempDir(), "state", "ipam.lock")}
			if err := prepareState(nc); err != nil {
				t.Fatal(err)
			}
			h := newFileHint(nc, "win-1")
			block := netip.MustParsePrefix("10.1.2.0/26")
			h.Store(ipam.Hint{CIDR: block})
			if got := h.Load().CIDR; got != block {
				t.Fatalf("hint = %v, want %v", got, block)
			}
			b, _ := json.Marshal(apiGroupEntry{Server: "https://k8s:6443", Group: kdd.GroupV3.String()})
			if err := os.WriteFile(apiGroupFile(nc), b, 0o600); err != nil {
				t.Fatal(err)
			}
			if g := knownAPIGroup(nc, "https://k8s:6443"); g != kdd.GroupV3 {
				t.Fatalf("kept group = %v, want %v", g, kdd.GroupV3)
			}
			u.do(t, h.path)
			u.do(t, apiGroupFile(nc))
			if got := h.Load().CIDR; got.IsValid() {
				t.Errorf("a hint that others could write was used: %v", got)
			}
			if g := knownAPIGroup(nc, "https://k8s:6443"); g != nil {
				t.Errorf("a kept group that others could write was used: %v", g)
			}
		})
	}
}

// The state directory and its locks are created private, and one that
// others may change fails the call with code 7 naming ipam_lock_file; only
// the plugin's own default directory is restricted instead.
func TestStateDirectory(t *testing.T) {
	t.Run("created private", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "state")
		nc := &NetConf{Name: "Calico", IPAMLockFile: filepath.Join(dir, "ipam.lock")}
		if err := prepareState(nc); err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]os.FileMode{dir: 0o700, lockFile(nc): 0o600, stateFile(nc, "hns-network.lock"): 0o600} {
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
				t.Errorf("%s: %v, %v; want mode %04o", path, st.Mode(), err, want)
			}
		}
	})
	t.Run("cannot be created", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		nc := &NetConf{Name: "Calico", IPAMLockFile: filepath.Join(file, "state", "ipam.lock")}
		err := prepareState(nc)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != "ipam_lock_file" || toCNIError(err).Code != 7 {
			t.Fatalf("got %v, want code 7 naming ipam_lock_file", err)
		}
	})
	for _, tc := range []struct {
		name   string
		own    bool // the plugin's default directory
		open   func(t *testing.T, dir string)
		reason string // "" when the directory is made private instead
	}{
		{"operator's dir writable by others", false, func(t *testing.T, dir string) { os.Chmod(dir, 0o777) }, "mode 0777"},
		{"own dir writable by others", true, func(t *testing.T, dir string) { os.Chmod(dir, 0o777) }, ""},
		{"own dir of another owner", true, func(t *testing.T, dir string) { untrusting[1].do(t, dir) }, "owned by uid 4242"},
		{"lock readable by others", false, func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "ipam.lock"), 0o644) }, ""},
		{"lock of another owner", false, func(t *testing.T, dir string) { untrusting[1].do(t, filepath.Join(dir, "ipam.lock")) }, "owned by uid 4242"},
		{"network lock of another owner", true, func(t *testing.T, dir string) { untrusting[1].do(t, filepath.Join(dir, "hns-network.lock")) }, "owned by uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			lock := filepath.Join(dir, "ipam.lock")
			if err := prepareStateAt(lock, false); err != nil {
				t.Fatal(err)
			}
			tc.open(t, dir)
			err := prepareStateAt(lock, tc.own)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("not restricted: %v", err)
				}
				if err := prepareStateAt(lock, false); err != nil {
					t.Fatalf("still untrusted after restricting: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Key != "ipam_lock_file" || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, want a ConfigError on ipam_lock_file saying %q", err, tc.reason)
			}
			t.Log(err)
			if code := toCNIError(err).Code; code != 7 {
				t.Errorf("code %d, want 7", code)
			}
		})
	}
}
