//go:build windows

package plugin

// The dataplane's Windows build against the simulator (CALICO_HNS_BACKEND=sim
// selects it in calico.exe): under Wine this exercises the Windows file
// locks, paths and defaults on the code path a real node runs, which the
// Linux end-to-end tests cannot.

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// tempDir is t.TempDir without its RemoveAll, which fails under Wine.
func tempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "calico-win-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestWindowsDefaults(t *testing.T) {
	if got := defaultLockFile(); got != `c:\CalicoWindows\ipam.lock` {
		t.Errorf("default IPAM lock = %s", got)
	}
	t.Setenv("CALICO_HNS_BACKEND", "sim")
	t.Setenv(sim.DirEnv, tempDir(t))
	c, err := openHNS()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*sim.Sim); !ok {
		t.Fatalf("CALICO_HNS_BACKEND=sim gave %T", c)
	}
}

func TestWindowsDataplaneOnSimulator(t *testing.T) {
	dir := tempDir(t)
	s, err := sim.Open(filepath.Join(dir, "hns"), sim.WithHostAddress("10.0.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	nc, err := ParseNetConf([]byte(`{"name":"Calico","mode":"vxlan","windows_use_single_network":true,
		"ipam_lock_file":` + quote(filepath.Join(dir, "ipam.lock")) + `,
		"policies":[{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	dp := newDataplane(nc, s)
	block := netip.MustParsePrefix("10.244.5.0/26")
	// No network yet: created (under the network lock, LockFileEx here)
	// with the host endpoint.
	n, mgmt, err := dp.ensureNetwork(ctx, block)
	if err != nil || mgmt.String() != "10.0.0.4" {
		t.Fatalf("ensureNetwork: %v, %v", mgmt, err)
	}
	ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
	if err != nil {
		t.Fatal(err)
	}
	nsID, err := namespaceID(strings.ToLower(ns.Id))
	if err != nil {
		t.Fatal(err)
	}
	pools := []datastore.IPPool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: true}}
	ep, created, err := dp.attachPod(ctx, n, mgmt, podEndpoint{containerID: "abc", namespaceID: nsID,
		addr: netip.MustParseAddr("10.244.5.3"), block: block, pools: pools})
	if err != nil || !created || ep.MacAddress != "0E-2A-0a-f4-05-03" || !strings.EqualFold(ep.HostComputeNamespace, ns.Id) {
		t.Fatalf("attachPod: %+v, %v, %v", ep, created, err)
	}
	if err := dp.removeEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEndpointByName(ctx, "abc_Calico"); !hns.IsNotFound(err) {
		t.Fatalf("endpoint still there: %v", err)
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }
