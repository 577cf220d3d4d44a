package sim

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hostnet"
)

// What HNS refuses for a network's type.
func TestNetworkTypeRules(t *testing.T) {
	ctx := context.Background()
	block := netip.MustParsePrefix("10.244.5.0/26")
	l2 := func() *hns.Network { return L2BridgeNetwork(L2BridgeSpec{Name: "Calico", Subnet: block}) }
	for _, tc := range []struct {
		name string
		req  func() *hns.Network
		code uint32
	}{
		{"L2Bridge", l2, 0},
		{"L2Bridge without subnet", func() *hns.Network { n := l2(); n.Ipams = nil; return n }, hns.InvalidNetworkConfig},
		{"L2Bridge with VSID", func() *hns.Network {
			n := l2()
			n.Ipams[0].Subnets[0].Policies = OverlayNetwork(OverlaySpec{Subnet: block}).Ipams[0].Subnets[0].Policies
			return n
		}, hns.InvalidPolicy},
		{"L2Bridge with VxlanPort", func() *hns.Network {
			n := l2()
			n.Policies = append(n.Policies, hns.Policy{Type: hns.VxlanPort, Settings: []byte(`{"Port":4789}`)})
			return n
		}, hns.InvalidPolicy},
		{"Overlay", func() *hns.Network { return OverlayNetwork(OverlaySpec{Name: "Calico", Subnet: block}) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSim(t)
			_, err := s.CreateNetwork(ctx, tc.req())
			if hns.Code(err) != tc.code || (tc.code == 0 && err != nil) {
				t.Fatalf("CreateNetwork: %v, want code %#x", err, tc.code)
			}
		})
	}
	t.Run("ProviderAddress on an L2Bridge endpoint", func(t *testing.T) {
		s := openSim(t)
		n, err := s.CreateNetwork(ctx, l2())
		check(t, "CreateNetwork", err)
		_, err = s.CreateEndpoint(ctx, &hns.Endpoint{Name: "p", HostComputeNetwork: n.Id,
			IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.3"}},
			Policies:         []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: "10.0.0.4"})}})
		if hns.Code(err) != hns.InvalidPolicy {
			t.Fatalf("CreateEndpoint: %v, want 0x803b000d", err)
		}
	})
}

// The host's default namespace, host-attached endpoints, their vNICs and
// forwarding, and the management IP's interface appearing with the IP.
func TestHostAttachAndForwarding(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := openSim(t, WithClock(func() time.Time { return now }))
	n, err := s.SetupL2Bridge(ctx, L2BridgeSpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.5.0/26"),
		ManagementIP: netip.MustParseAddr("10.0.0.4")}, time.Minute)
	check(t, "SetupL2Bridge", err)
	mgmt, hostAddr := netip.MustParseAddr("10.0.0.4"), netip.MustParseAddr("10.244.5.2")
	if err := s.EnableForwarding(ctx, mgmt); !errors.Is(err, hostnet.ErrNoInterface) {
		t.Errorf("forwarding before the management IP appears: %v", err)
	}
	now = now.Add(time.Minute)
	check(t, "EnableForwarding(mgmt)", s.EnableForwarding(ctx, mgmt))

	ns, err := s.HostNamespace(ctx)
	check(t, "HostNamespace", err)
	again, err := s.HostNamespace(ctx)
	check(t, "HostNamespace", err)
	if ns.Type != hns.NamespaceHostDefault || ns.NamespaceId != 1 || again.Id != ns.Id {
		t.Fatalf("HostNamespace = %+v then %+v", ns, again)
	}
	ep, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: "Calico_ep", HostComputeNetwork: n.Id, IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.2"}}})
	check(t, "CreateEndpoint", err)
	if err := s.EnableForwarding(ctx, hostAddr); !errors.Is(err, hostnet.ErrNoInterface) {
		t.Errorf("forwarding on an endpoint not given to the host: %v", err)
	}
	check(t, "AttachEndpoint(host)", s.AttachEndpoint(ctx, ns.Id, ep.Id))
	if err := s.AttachEndpoint(ctx, ns.Id, ep.Id); hns.Code(err) != hns.EndpointAlreadyAttached {
		t.Errorf("second host attach: %v, want 0x803b0014", err)
	}
	pod, err := s.CreateNamespace(ctx, nil)
	check(t, "CreateNamespace", err)
	if err := s.AttachEndpoint(ctx, pod.Id, ep.Id); hns.Code(err) != hns.EndpointNamespaceExists {
		t.Errorf("attach of a host endpoint to a pod namespace: %v, want 0x803b002b", err)
	}
	check(t, "EnableForwarding(host endpoint)", s.EnableForwarding(ctx, hostAddr))
	ifs, err := s.Interfaces(ctx)
	check(t, "Interfaces", err)
	var got []string
	for _, i := range ifs {
		got = append(got, i.Name+"="+strings.Join(i.Addresses, ",")+map[bool]string{true: " fwd", false: ""}[i.Forwarding])
	}
	if want := AdapterInterface + "=10.0.0.4 fwd|vEthernet (Calico_ep)=10.244.5.2 fwd"; strings.Join(got, "|") != want {
		t.Errorf("Interfaces = %s, want %s", strings.Join(got, "|"), want)
	}
	// Detached, the vNIC goes; attached again it comes back without forwarding.
	check(t, "DetachEndpoint", s.DetachEndpoint(ctx, ns.Id, ep.Id))
	if err := s.EnableForwarding(ctx, hostAddr); !errors.Is(err, hostnet.ErrNoInterface) {
		t.Errorf("forwarding on a detached vNIC: %v", err)
	}
	check(t, "AttachEndpoint(host)", s.AttachEndpoint(ctx, ns.Id, ep.Id))
	ifs, _ = s.Interfaces(ctx)
	if len(ifs) != 2 || ifs[1].Forwarding {
		t.Errorf("re-attached vNIC: %+v", ifs)
	}
	// A remote endpoint has no vNIC to give the host.
	remote, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: "r", HostComputeNetwork: n.Id, Flags: hns.EndpointFlagRemote,
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.250.0.3"}}})
	check(t, "CreateEndpoint(remote)", err)
	if err := s.AttachEndpoint(ctx, ns.Id, remote.Id); hns.Code(err) != hns.InvalidEndpointConfig {
		t.Errorf("host attach of a remote endpoint: %v, want 0x803b000c", err)
	}
	// Reset forgets the host as it forgets HNS.
	check(t, "Reset", s.Reset(ctx))
	if ifs, _ := s.Interfaces(ctx); len(ifs) != 0 {
		t.Errorf("interfaces after Reset: %+v", ifs)
	}
}
