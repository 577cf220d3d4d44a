package plugin_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
)

// With another IPAM type the plugin delegates through CNI_PATH, as Calico
// does (host-local here, the reference plugin): the HNS subnet is the
// host-local subnet, and DEL hands the address back to host-local.
func TestHostLocalDelegationIntegration(t *testing.T) {
	hl, err := exec.LookPath("host-local")
	if err != nil {
		t.Fatalf("host-local not on PATH: run scripts/setup.sh and put its directory on PATH (%v)", err)
	}
	h := newHarness(t)
	dir := t.TempDir()
	pluginDir := filepath.Join(dir, "bin")
	os.MkdirAll(pluginDir, 0o755)
	for _, name := range []string{"calico", "calico-ipam"} {
		os.Symlink(filepath.Join(binDir, name), filepath.Join(pluginDir, name))
	}
	os.Symlink(hl, filepath.Join(pluginDir, "host-local"))
	h.cni = libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, filepath.Join(dir, "cache"), nil)
	h.conf["ipam"] = map[string]any{"type": "host-local", "subnet": "10.244.5.0/26", "rangeStart": "10.244.5.3",
		"rangeEnd": "10.244.5.62", "dataDir": filepath.Join(dir, "host-local")}
	rt := pod("web-0", h.namespace())
	res := h.mustAdd(rt)
	if res.IPs[0].Address.String() != "10.244.5.3/26" {
		t.Fatalf("IPs = %v", res.IPs)
	}
	ep, err := h.sim.GetEndpointByName(context.Background(), "cid-web-0_Calico")
	if err != nil || ep.IpConfigurations[0].IpAddress != "10.244.5.3" {
		t.Fatalf("endpoint %+v %v", ep, err)
	}
	if err := h.cni.CheckNetworkList(ctx(t), h.list("1.1.0"), rt); err != nil {
		t.Fatalf("CHECK: %v", err)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	// host-local keeps one file per address it hands out.
	files, _ := filepath.Glob(filepath.Join(dir, "host-local", "Calico", "10.*"))
	if len(files) != 0 {
		t.Fatalf("host-local still holds %v after DEL", files)
	}
	if n := len(h.etcd.List(t, "/calico/ipam/")); n != 1 || !strings.Contains(h.etcd.List(t, "/calico/ipam/")[0].Key, "config") {
		t.Fatalf("calico-ipam was used: %v", h.etcd.List(t, "/calico/ipam/"))
	}
	h.leakCheck()
}
