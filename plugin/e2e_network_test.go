//go:build !windows

package plugin_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// With no Calico network (calico-node has not made it, or it was wiped), the
// first ADD creates it as Calico does: the mode's type, the block as subnet,
// .1 gateway (VXLAN: VSID = VNI, HostRoute), and the host endpoint at .2.
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
	h.checkNetwork(t, n)
	h.checkHostEndpoint(t, n)
	hep, err := h.sim.GetEndpointByName(bg, "Calico_ep")
	if err != nil {
		t.Fatal(err)
	}
	// The host endpoint deleted (Calico FV case 7): the next ADD recreates it.
	if err := h.sim.DeleteEndpoint(bg, hep.Id); err != nil {
		t.Fatal(err)
	}
	rt2 := pod("web-1", h.namespace())
	h.mustAdd(rt2)
	h.checkHostEndpoint(t, n)
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
	mgmt := mgmtIP
	n, err := h.setupNetwork(bg, h.block, time.Hour)
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
	old, err := h.setupNetwork(bg, netip.MustParsePrefix("10.99.0.0/26"), 0)
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
