//go:build !windows

package plugin_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns/sim"
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
	h.cni = newCNIConfig([]string{pluginDir}, filepath.Join(dir, "cache"))
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

// host-local with "subnet": "usePodCidr" on the Kubernetes datastore: the
// node's pod CIDR, the range clamped to .3 – broadcast-1, IP= honoured
// (Calico FV case 8: the same address again after a DEL).
func TestHostLocalUsePodCidrIntegration(t *testing.T) {
	hl, err := exec.LookPath("host-local")
	if err != nil {
		t.Fatalf("host-local not on PATH: run scripts/setup.sh and put its directory on PATH (%v)", err)
	}
	h := newKDDHarness(t)
	h.kas.PutNode(t, node, nil, "10.0.0.0/24")
	h.sim.UpdateConfig(context.Background(), func(c *sim.Config) { c.HostAddress = "10.0.0.4" })
	dir := t.TempDir()
	pluginDir := filepath.Join(dir, "bin")
	os.MkdirAll(pluginDir, 0o755)
	os.Symlink(filepath.Join(binDir, "calico"), filepath.Join(pluginDir, "calico"))
	os.Symlink(hl, filepath.Join(pluginDir, "host-local"))
	h.cni = newCNIConfig([]string{pluginDir}, filepath.Join(dir, "cache"))
	h.conf["ipam"] = map[string]any{"type": "host-local", "subnet": "usePodCidr", "dataDir": filepath.Join(dir, "host-local")}
	rt := h.kubePod("web-0", nil)
	res := h.mustAdd(rt)
	if res.IPs[0].Address.String() != "10.0.0.3/24" {
		t.Fatalf("first address %v, want 10.0.0.3/24 (the range starts at .3)", res.IPs[0].Address)
	}
	n, err := h.sim.GetNetworkByName(context.Background(), "Calico")
	if err != nil || n.Ipams[0].Subnets[0].IpAddressPrefix != "10.0.0.0/24" {
		t.Fatalf("HNS network %+v, %v; want subnet 10.0.0.0/24", n, err)
	}
	for i := 0; i < 2; i++ {
		rt2 := h.kubePod(fmt.Sprint("fixed-", i), nil)
		rt2.Args = append(rt2.Args, [2]string{"IP", "10.0.0.130"})
		res2 := h.mustAdd(rt2)
		if res2.IPs[0].Address.IP.String() != "10.0.0.130" {
			t.Fatalf("IP=10.0.0.130 got %v", res2.IPs[0].Address)
		}
		if err := h.del(rt2); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "host-local", "Calico", "10.*")); len(files) != 0 {
		t.Fatalf("host-local still holds %v", files)
	}
	h.leakCheck()
}
