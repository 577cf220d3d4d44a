//go:build !windows

package plugin_test

// Input the plugin must refuse with a precise code before it writes
// anything, and failures whose message must name their real cause.

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/calico-win/cni/internal/flock"
)

func TestRefusalsIntegration(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(h *harness, rt *libcni.RuntimeConf)
		code uint
		msg  string
	}{
		{"mtu -1", func(h *harness, _ *libcni.RuntimeConf) { h.conf["mtu"] = -1 }, 7, "mtu"},
		{"mtu 70000", func(h *harness, _ *libcni.RuntimeConf) { h.conf["mtu"] = 70000 }, 7, "mtu"},
		{"mtu 100", func(h *harness, _ *libcni.RuntimeConf) { h.conf["mtu"] = 100 }, 7, "mtu"},
		{"pod name with a slash", func(_ *harness, rt *libcni.RuntimeConf) { setArg(rt, "K8S_POD_NAME", "a/b") }, 4, "K8S_POD_NAME"},
		{"pod name ..", func(_ *harness, rt *libcni.RuntimeConf) { setArg(rt, "K8S_POD_NAME", "..") }, 4, "K8S_POD_NAME"},
		{"namespace ..", func(_ *harness, rt *libcni.RuntimeConf) { setArg(rt, "K8S_POD_NAMESPACE", "..") }, 4, "K8S_POD_NAMESPACE"},
		{"namespace with a slash", func(_ *harness, rt *libcni.RuntimeConf) { setArg(rt, "K8S_POD_NAMESPACE", "kube-system/x") }, 4, "K8S_POD_NAMESPACE"},
		{"unknown netns", func(_ *harness, rt *libcni.RuntimeConf) { rt.NetNS = "0badf00d-0000-4000-8000-000000000001" }, 4, "CNI_NETNS"},
		{"lock file cannot be created", func(h *harness, _ *libcni.RuntimeConf) {
			f := filepath.Join(h.t.TempDir(), "a-file")
			os.WriteFile(f, nil, 0o644)
			h.conf["ipam_lock_file"] = filepath.Join(f, "ipam.lock")
		}, 7, "ipam_lock_file"},
		{"etcd answers 404", func(h *harness, _ *libcni.RuntimeConf) {
			u, _ := url.Parse(h.etcd.Endpoints()[0])
			u.Path = "/not-etcd"
			h.conf["etcd_endpoints"] = u.String()
		}, 7, "etcd_endpoints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			rt := pod("web-0", h.namespace())
			tc.edit(h, rt)
			_, err := h.add(rt)
			if cniCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ADD: %v (code %d), want code %d naming %q", err, cniCode(err), tc.code, tc.msg)
			}
			if tc.code == 7 { // a config error is one for DEL too
				if err := h.del(rt); cniCode(err) != tc.code {
					t.Errorf("DEL: %v, want code %d", err, tc.code)
				}
			}
			h.leakCheck()
		})
	}
}

func setArg(rt *libcni.RuntimeConf, key, value string) {
	for i := range rt.Args {
		if rt.Args[i][0] == key {
			rt.Args[i][1] = value
		}
	}
}

// The call's time went to waiting for the IPAM lock (held by another call):
// the error says so, not "no answer after 0s" from the datastore.
func TestLockWaitIsNamedIntegration(t *testing.T) {
	h := newHarness(t)
	unlock, err := flock.Lock(context.Background(), h.conf["ipam_lock_file"].(string))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	start := time.Now()
	_, err = h.add(pod("web-0", h.namespace()))
	if cniCode(err) != 11 || !strings.Contains(err.Error(), "IPAM lock") || !strings.Contains(err.Error(), "ipam_lock_file") {
		t.Fatalf("ADD while the lock is held: %v (code %d), want code 11 naming the IPAM lock wait", err, cniCode(err))
	}
	if d := time.Since(start); d > 12*time.Second {
		t.Errorf("took %s", d)
	}
	unlock()
	h.leakCheck()
}
