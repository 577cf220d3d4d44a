//go:build !windows

package plugin_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// With no Calico network (calico-node has not made it, or it was wiped), the
// first ADD creates it as Calico does: Overlay, the block as subnet, .1
// gateway, VSID = VNI, HostRoute, and the host endpoint at .2.
func TestAddCreatesMissingNetworkIntegration(t *testing.T) {
	h := newHarness(t)
	bg := context.Background()
	if err := h.sim.DeleteNetwork(bg, h.network.Id); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.UpdateConfig(bg, func(c *sim.Config) { c.HostAddress = "10.0.0.4" }); err != nil {
		t.Fatal(err)
	}
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	n, err := h.sim.GetNetworkByName(bg, "Calico")
	if err != nil {
		t.Fatal(err)
	}
	sub := n.Ipams[0].Subnets[0]
	vsid, _ := json.Marshal(sub.Policies)
	pols, _ := json.Marshal(n.Policies)
	if n.Type != "Overlay" || sub.IpAddressPrefix != "10.244.5.0/26" || sub.Routes[0].NextHop != "10.244.5.1" ||
		!strings.Contains(string(vsid), `"IsolationId":4096`) || !strings.Contains(string(pols), "HostRoute") ||
		!strings.Contains(string(pols), `"ProviderAddress":"10.0.0.4"`) {
		t.Fatalf("network = %+v\nsubnet policies %s\npolicies %s", n, vsid, pols)
	}
	hep, err := h.sim.GetEndpointByName(bg, "Calico_ep")
	if err != nil || hep.IpConfigurations[0].IpAddress != "10.244.5.2" || !strings.EqualFold(hep.HostComputeNetwork, n.Id) {
		t.Fatalf("host endpoint: %+v %v", hep, err)
	}
	// The host endpoint deleted (Calico FV case 7): the next ADD recreates it.
	if err := h.sim.DeleteEndpoint(bg, hep.Id); err != nil {
		t.Fatal(err)
	}
	rt2 := pod("web-1", h.namespace())
	h.mustAdd(rt2)
	if _, err := h.sim.GetEndpointByName(bg, "Calico_ep"); err != nil {
		t.Fatalf("host endpoint not recreated: %v", err)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	if err := h.del(rt2); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// A network whose management IP has not appeared yet is "try again later",
// not a sleep; once it appears the same ADD succeeds. The plugin runs in
// its own process on the real clock, so the management IP appears the way
// HNS publishes it, as a ProviderAddress network policy, rather than by
// waiting out a delay.
func TestManagementIPNotYetIntegration(t *testing.T) {
	h := newHarness(t)
	bg := context.Background()
	if err := h.sim.DeleteNetwork(bg, h.network.Id); err != nil {
		t.Fatal(err)
	}
	mgmt := netip.MustParseAddr("10.0.0.4")
	n, err := h.sim.SetupOverlay(bg, sim.OverlaySpec{Name: "Calico", Subnet: h.block, ManagementIP: mgmt}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rt := pod("web-0", h.namespace())
	start := time.Now()
	_, err = h.add(rt)
	if cniCode(err) != 11 || !strings.Contains(err.Error(), "management IP") {
		t.Fatalf("ADD before the management IP: %v, want code 11", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("the ADD waited %s instead of failing fast", time.Since(start))
	}
	h.leakCheck()
	if err := h.sim.AddNetworkPolicy(bg, n.Id, []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: mgmt.String()})}); err != nil {
		t.Fatal(err)
	}
	h.mustAdd(rt)
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// A Calico network with another subnet is replaced (Calico FV case 6).
func TestWrongSubnetNetworkIsReplacedIntegration(t *testing.T) {
	h := newHarness(t)
	bg := context.Background()
	if err := h.sim.DeleteNetwork(bg, h.network.Id); err != nil {
		t.Fatal(err)
	}
	old, err := h.sim.SetupOverlay(bg, sim.OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.99.0.0/26"),
		ManagementIP: netip.MustParseAddr("10.0.0.4")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.sim.UpdateConfig(bg, func(c *sim.Config) { c.HostAddress = "10.0.0.4" })
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	n, err := h.sim.GetNetworkByName(bg, "Calico")
	if err != nil || n.Id == old.Id || n.Ipams[0].Subnets[0].IpAddressPrefix != "10.244.5.0/26" {
		t.Fatalf("network not replaced: %+v %v", n, err)
	}
	if _, err := h.sim.GetNetworkByID(bg, old.Id); !hns.IsNotFound(err) {
		t.Fatalf("old network still there: %v", err)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}
