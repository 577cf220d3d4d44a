//go:build !windows

package plugin_test

// Issue 10 item 14: host-local delegation as Calico's Windows rewrite:
// explicit subnets clamped to .3 – broadcast-1 like usePodCidr, the user's
// range inside kept, usePodCidr matched case-insensitively.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/containernetworking/cni/libcni"

	"github.com/calico-win/cni/hns/sim"
)

// withHostLocal puts host-local beside the plugin on the harness's CNI_PATH
// and returns its data directory.
func (h *harness) withHostLocal() string {
	h.t.Helper()
	hl, err := exec.LookPath("host-local")
	if err != nil {
		h.t.Fatalf("host-local not on PATH: run scripts/setup.sh and put its directory on PATH (%v)", err)
	}
	dir := h.t.TempDir()
	pluginDir := filepath.Join(dir, "bin")
	os.MkdirAll(pluginDir, 0o755)
	os.Symlink(filepath.Join(binDir, "calico"), filepath.Join(pluginDir, "calico"))
	os.Symlink(hl, filepath.Join(pluginDir, "host-local"))
	h.cni = newCNIConfig([]string{pluginDir}, filepath.Join(dir, "cache"))
	return filepath.Join(dir, "host-local")
}

func TestHostLocalExplicitSubnetClampedIntegration(t *testing.T) {
	h := newHarness(t)
	data := h.withHostLocal()
	for i, tc := range []struct {
		name string
		ipam map[string]any
		want []string // the addresses of consecutive ADDs
	}{
		{"no range", map[string]any{"subnet": "10.244.5.0/26"}, []string{"10.244.5.3/26", "10.244.5.4/26"}},
		{"range inside kept", map[string]any{"subnet": "10.244.5.0/26", "rangeStart": "10.244.5.10", "rangeEnd": "10.244.5.11"},
			[]string{"10.244.5.10/26", "10.244.5.11/26"}},
		{"range clamped", map[string]any{"subnet": "10.244.5.0/26", "rangeStart": "10.244.5.1", "rangeEnd": "10.244.5.63"},
			[]string{"10.244.5.3/26"}},
		{"end clamped", map[string]any{"subnet": "10.244.5.0/26", "rangeStart": "10.244.5.62", "rangeEnd": "10.244.5.63"},
			[]string{"10.244.5.62/26"}},
		{"ranges entry", map[string]any{"ranges": []any{[]any{map[string]any{"subnet": "10.244.5.0/26", "rangeStart": "10.244.5.0"}}}},
			[]string{"10.244.5.3/26"}},
	} {
		ipam := map[string]any{"type": "host-local", "dataDir": filepath.Join(data, fmt.Sprint(i))}
		for k, v := range tc.ipam {
			ipam[k] = v
		}
		h.conf["ipam"] = ipam
		var rts []*libcni.RuntimeConf
		for j, want := range tc.want {
			rt := pod(fmt.Sprintf("web-%d-%d", i, j), h.namespace())
			rts = append(rts, rt)
			if got := h.mustAdd(rt).IPs[0].Address.String(); got != want {
				t.Errorf("%s: ADD %d got %s, want %s", tc.name, j, got, want)
			}
		}
		for _, rt := range rts {
			if err := h.del(rt); err != nil {
				t.Fatalf("%s: DEL: %v", tc.name, err)
			}
		}
	}
	h.conf["ipam"] = map[string]any{"type": "host-local", "subnet": "10.244.5.0/26", "rangeStart": "10.244.5.x", "dataDir": data}
	if _, err := h.add(pod("bad", h.namespace())); cniCode(err) != 7 || !contains(err, "ipam.rangeStart") {
		t.Fatalf("bad rangeStart: %v, want code 7 naming ipam.rangeStart", err)
	}
	h.leakCheck()
}

// "USEPODCIDR" is usePodCidr, as Calico matches it (strings.EqualFold).
func TestHostLocalUsePodCidrCaseIntegration(t *testing.T) {
	h := newKDDHarness(t)
	h.kas.PutNode(t, node, nil, "10.0.0.0/24")
	h.sim.UpdateConfig(context.Background(), func(c *sim.Config) { c.HostAddress = "10.0.0.4" })
	data := h.withHostLocal()
	h.conf["ipam"] = map[string]any{"type": "host-local", "ranges": []any{[]any{map[string]any{"subnet": "USEPODCIDR", "rangeEnd": "10.0.0.100"}}},
		"dataDir": data}
	rt := h.kubePod("web-0", nil)
	if got := h.mustAdd(rt).IPs[0].Address.String(); got != "10.0.0.3/24" {
		t.Fatalf("ADD got %s, want 10.0.0.3/24", got)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(data, "Calico", "10.*")); len(files) != 0 {
		t.Fatalf("host-local still holds %v", files)
	}
	h.leakCheck()
}
