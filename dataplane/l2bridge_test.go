package dataplane

// L2Bridge mode in-process against the simulator; like sim_test.go it also
// runs as a Windows binary under Wine.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/hostnet"
	"github.com/calico-win/cni/internal/testdir"
)

func newL2BridgeDataplane(t *testing.T, opts ...sim.Option) (*Dataplane, *sim.Sim) {
	t.Helper()
	dir := testdir.New(t)
	s, err := sim.Open(filepath.Join(dir, "hns"), append([]sim.Option{sim.WithHostAddress("10.0.0.4")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return New(s, Options{Name: "Calico", SingleNetwork: true, Mode: L2Bridge(), Host: s,
		LockPath: filepath.Join(dir, "hns-network.lock"),
		Policies: []json.RawMessage{json.RawMessage(`{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12"]}`)}}), s
}

// forwarding returns the simulated host's interfaces by name: forwarding on?
func forwarding(t *testing.T, s *sim.Sim) map[string]bool {
	t.Helper()
	ifs, err := s.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, i := range ifs {
		out[i.Name+" "+strings.Join(i.Addresses, ",")] = i.Forwarding
	}
	return out
}

func TestL2BridgeOnSimulator(t *testing.T) {
	ctx := context.Background()
	dp, s := newL2BridgeDataplane(t)
	block := netip.MustParsePrefix("10.244.5.0/26")
	n, mgmt, err := dp.EnsureNetwork(ctx, block)
	if err != nil || mgmt.String() != "10.0.0.4" {
		t.Fatalf("EnsureNetwork: %v, %v", mgmt, err)
	}
	sub := n.Ipams[0].Subnets[0]
	if n.Type != "L2Bridge" || sub.IpAddressPrefix != "10.244.5.0/26" || sub.Routes[0].NextHop != "10.244.5.1" ||
		len(sub.Policies) != 0 || hasPolicy(n.Policies, hns.HostRoute) {
		t.Errorf("network: %+v", n)
	}
	// The host endpoint: local, .2, attached to the host's default namespace.
	hostEP, err := s.GetEndpointByName(ctx, "Calico_ep")
	if err != nil || hostEP.IpConfigurations[0].IpAddress != "10.244.5.2" || hostEP.Flags&hns.EndpointFlagRemote != 0 {
		t.Fatalf("host endpoint: %+v, %v", hostEP, err)
	}
	hostNS, err := s.HostNamespace(ctx)
	if err != nil || !strings.EqualFold(hostEP.HostComputeNamespace, hostNS.Id) || hostNS.Type != hns.NamespaceHostDefault {
		t.Fatalf("host endpoint in namespace %q, host namespace %+v (%v)", hostEP.HostComputeNamespace, hostNS, err)
	}
	// Forwarding on the management interface and on the host vNIC.
	want := map[string]bool{sim.AdapterInterface + " 10.0.0.4": true, "vEthernet (Calico_ep) 10.244.5.2": true}
	if got := forwarding(t, s); !equalMaps(got, want) {
		t.Errorf("interfaces = %v, want %v", got, want)
	}
	// A second call attaches nothing again (HNS would answer 0x803b0014,
	// Calico #4280): arm that fault and see it not fire.
	if err := s.InjectFault(ctx, sim.KindAttachEndpoint, hns.EndpointAlreadyAttached, 1); err != nil {
		t.Fatal(err)
	}
	if n2, _, err := dp.EnsureNetwork(ctx, block); err != nil || n2.Id != n.Id {
		t.Fatalf("EnsureNetwork again: %+v, %v", n2, err)
	}
	if f, _ := s.FaultState(ctx); len(f.Armed) != 1 || f.Armed[0].Count != 1 {
		t.Errorf("the second EnsureNetwork attached the host endpoint again: %+v", f.Armed)
	}
	s.ClearFaults(ctx)
	if ep, err := s.GetEndpointByName(ctx, "Calico_ep"); err != nil || ep.Id != hostEP.Id {
		t.Fatalf("host endpoint replaced: %+v, %v", ep, err)
	}

	ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
	if err != nil {
		t.Fatal(err)
	}
	pools := []Pool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: true}}
	addr := netip.MustParseAddr("10.244.5.3")
	ep, created, err := dp.AttachPod(ctx, n, mgmt, Pod{ContainerID: "abc", NamespaceID: ns.Id, Addr: addr, Block: block, Pools: pools})
	if err != nil || !created {
		t.Fatalf("AttachPod: %+v, %v, %v", ep, created, err)
	}
	// Gateway .2, a MAC from HNS's pool, no ProviderAddress, the SDNRoute
	// to the management IP.
	pols, _ := json.Marshal(ep.Policies)
	if ep.Routes[0].NextHop != "10.244.5.2" || !strings.HasPrefix(ep.MacAddress, "00-15-5D-") || hasPolicy(ep.Policies, hns.ProviderAddress) ||
		!strings.Contains(string(pols), `{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.0.0.4/32","NeedEncap":true}}`) ||
		!strings.Contains(string(pols), `"Exceptions":["10.96.0.0/12","10.244.0.0/16"]`) || !hasPolicy(ep.Policies, hns.ACL) {
		t.Fatalf("pod endpoint: %+v\n%s", ep, pols)
	}
	if err := dp.CheckPod(ctx, "abc", ns.Id, block, addr); err != nil {
		t.Errorf("CheckPod: %v", err)
	}
	if err := dp.NetworkReady(ctx); err != nil {
		t.Errorf("NetworkReady: %v", err)
	}
	// CHECK sees the host endpoint taken from the host.
	if err := s.DetachEndpoint(ctx, hostNS.Id, hostEP.Id); err != nil {
		t.Fatal(err)
	}
	if err := dp.CheckPod(ctx, "abc", ns.Id, block, addr); err == nil || !strings.Contains(err.Error(), "not attached to the host") {
		t.Errorf("CheckPod with the host endpoint detached: %v", err)
	}
	// The next ADD gives it back, forwarding on again.
	if _, _, err := dp.EnsureNetwork(ctx, block); err != nil {
		t.Fatal(err)
	}
	if err := dp.CheckPod(ctx, "abc", ns.Id, block, addr); err != nil {
		t.Errorf("CheckPod after the reattach: %v", err)
	}
	if got := forwarding(t, s); !equalMaps(got, want) {
		t.Errorf("interfaces after the reattach = %v, want %v", got, want)
	}
	if err := dp.RemovePod(ctx, "abc", []netip.Prefix{block}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEndpointByName(ctx, "abc_Calico"); !hns.IsNotFound(err) {
		t.Fatalf("endpoint still there: %v", err)
	}
}

func equalMaps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The host endpoint is recreated when its address or network is wrong, or
// when it sits in another namespace; a VXLAN network of the same name is
// replaced by an L2Bridge one.
func TestL2BridgeRepairsHostEndpoint(t *testing.T) {
	ctx := context.Background()
	block := netip.MustParsePrefix("10.244.5.0/26")
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, s *sim.Sim, n *hns.Network, ep *hns.Endpoint)
	}{
		{"wrong address", func(t *testing.T, s *sim.Sim, n *hns.Network, ep *hns.Endpoint) {
			mustDo(t, s.DeleteEndpoint(ctx, ep.Id))
			_, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: "Calico_ep", HostComputeNetwork: n.Id, IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.9"}}})
			mustDo(t, err)
		}},
		{"wrong address, given to the host", func(t *testing.T, s *sim.Sim, n *hns.Network, ep *hns.Endpoint) {
			mustDo(t, s.DeleteEndpoint(ctx, ep.Id))
			e, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: "Calico_ep", HostComputeNetwork: n.Id, IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.9"}}})
			mustDo(t, err)
			host, err := s.HostNamespace(ctx)
			mustDo(t, err)
			mustDo(t, s.AttachEndpoint(ctx, host.Id, e.Id))
		}},
		{"in a pod namespace", func(t *testing.T, s *sim.Sim, n *hns.Network, ep *hns.Endpoint) {
			mustDo(t, s.DeleteEndpoint(ctx, ep.Id))
			e, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: "Calico_ep", HostComputeNetwork: n.Id, IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.2"}}})
			mustDo(t, err)
			ns, err := s.CreateNamespace(ctx, nil)
			mustDo(t, err)
			mustDo(t, s.AttachEndpoint(ctx, ns.Id, e.Id))
		}},
		{"VXLAN network", func(t *testing.T, s *sim.Sim, n *hns.Network, _ *hns.Endpoint) {
			mustDo(t, s.DeleteNetwork(ctx, n.Id))
			_, err := s.SetupOverlay(ctx, sim.OverlaySpec{Name: "Calico", Subnet: block, ManagementIP: netip.MustParseAddr("10.0.0.4")}, 0)
			mustDo(t, err)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dp, s := newL2BridgeDataplane(t)
			n, _, err := dp.EnsureNetwork(ctx, block)
			mustDo(t, err)
			ep, err := s.GetEndpointByName(ctx, "Calico_ep")
			mustDo(t, err)
			tc.breakIt(t, s, n, ep)
			n, _, err = dp.EnsureNetwork(ctx, block)
			mustDo(t, err)
			hostNS, err := s.HostNamespace(ctx)
			mustDo(t, err)
			got, err := s.GetEndpointByName(ctx, "Calico_ep")
			if err != nil || n.Type != "L2Bridge" || got.HostComputeNetwork != n.Id || got.IpConfigurations[0].IpAddress != "10.244.5.2" ||
				!strings.EqualFold(got.HostComputeNamespace, hostNS.Id) {
				t.Fatalf("after repair: network %s %s, host endpoint %+v, %v", n.Type, n.Id, got, err)
			}
			if ifs, _ := s.Interfaces(ctx); len(ifs) != 2 || ifs[1].Addresses[0] != "10.244.5.2" || !ifs[1].Forwarding {
				t.Errorf("host interfaces after repair: %+v", ifs)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A management IP that has not appeared yet is "not ready" at once, and so
// is an interface that does not hold its address; STATUS tells them apart
// from a network that is gone.
func TestL2BridgeNotReady(t *testing.T) {
	ctx := context.Background()
	block := netip.MustParsePrefix("10.244.5.0/26")
	dp, s := newL2BridgeDataplane(t, sim.WithManagementIPDelay(time.Hour))
	if err := dp.NetworkReady(ctx); !errors.Is(err, ErrNetworkGone) {
		t.Errorf("NetworkReady without a network: %v", err)
	}
	start := time.Now()
	if _, _, err := dp.EnsureNetwork(ctx, block); !errors.Is(err, ErrNotReady) || time.Since(start) > 5*time.Second {
		t.Fatalf("EnsureNetwork before the management IP: %v after %v", err, time.Since(start))
	}
	if err := dp.NetworkReady(ctx); err == nil || errors.Is(err, ErrNetworkGone) || !strings.Contains(err.Error(), "management IP") {
		t.Errorf("NetworkReady before the management IP: %v", err)
	}
	// A host that has no interface with the management IP.
	n, err := s.GetNetworkByName(ctx, "Calico")
	mustDo(t, err)
	mustDo(t, s.AddNetworkPolicy(ctx, n.Id, []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: "10.0.0.4"})}))
	mustDo(t, s.UpdateConfig(ctx, func(c *sim.Config) { c.HostAddress = "" }))
	dp2 := New(s, Options{Name: "Calico", SingleNetwork: true, Mode: L2Bridge(), Host: noInterface{}, LockPath: dp.opt.LockPath})
	if _, _, err := dp2.EnsureNetwork(ctx, block); !errors.Is(err, ErrNotReady) {
		t.Fatalf("EnsureNetwork without the interface: %v", err)
	}
	// The VXLAN mode's STATUS on this L2Bridge network: cannot serve.
	vx := New(s, Options{Name: "Calico", SingleNetwork: true, Mode: Overlay(4096, "0E-2A")})
	if err := vx.NetworkReady(ctx); err == nil || errors.Is(err, ErrNetworkGone) || !strings.Contains(err.Error(), "needs Overlay") {
		t.Errorf("VXLAN NetworkReady on L2Bridge: %v", err)
	}
}

// noInterface is a host where no interface holds any address.
type noInterface struct{}

func (noInterface) EnableForwarding(context.Context, netip.Addr) error {
	return fmt.Errorf("%w: test host", hostnet.ErrNoInterface)
}
