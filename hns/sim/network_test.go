package sim

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
)

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func managementIP(n *hns.Network) string {
	for _, p := range n.Policies {
		if p.Type == hns.ProviderAddress {
			return string(p.Settings)
		}
	}
	return ""
}

func TestManagementIPDelay(t *testing.T) {
	spec := OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.5.0/26"), ManagementIP: netip.MustParseAddr("10.0.0.4")}
	const want = `{"ProviderAddress":"10.0.0.4"}`
	tests := []struct {
		name    string
		delay   time.Duration // Config.ManagementIPDelay
		elapsed time.Duration
		want    string
	}{
		{"no delay", 0, 0, want},
		{"before the delay", 3 * time.Second, 2999 * time.Millisecond, ""},
		{"at the delay", 3 * time.Second, 3 * time.Second, want},
		{"after the delay", 3 * time.Second, time.Minute, want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			dir := tempDir(t)
			s, err := Open(dir, WithManagementIPDelay(tt.delay), WithClock(clock.now))
			check(t, "Open", err)
			ctx := context.Background()
			n, err := s.CreateNetwork(ctx, OverlayNetwork(spec))
			check(t, "CreateNetwork", err)
			clock.advance(tt.elapsed)
			// Another process (a second Sim on the directory) sees the same.
			other, err := Open(dir, WithClock(clock.now))
			check(t, "Open", err)
			byName, err := other.GetNetworkByName(ctx, "Calico")
			check(t, "GetNetworkByName", err)
			byID, err := other.GetNetworkByID(ctx, n.Id)
			check(t, "GetNetworkByID", err)
			for _, got := range []*hns.Network{byName, byID} {
				if mgmt := managementIP(got); mgmt != tt.want {
					t.Errorf("ProviderAddress policy = %q, want %q", mgmt, tt.want)
				}
			}
		})
	}
}

func TestManagementIPDelayRealClock(t *testing.T) {
	s := openSim(t)
	ctx := context.Background()
	spec := OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.5.0/26"), ManagementIP: netip.MustParseAddr("10.0.0.4")}
	n, err := s.SetupOverlay(ctx, spec, 500*time.Millisecond)
	check(t, "SetupOverlay", err)
	if managementIP(n) != "" {
		t.Fatalf("management IP visible at once: %+v", n.Policies)
	}
	time.Sleep(600 * time.Millisecond)
	n, err = s.GetNetworkByName(ctx, "Calico")
	check(t, "GetNetworkByName", err)
	if managementIP(n) == "" {
		t.Errorf("management IP not visible after the delay: %+v", n.Policies)
	}
}

func TestSetupOverlayShape(t *testing.T) {
	f := newFixture(t)
	n := f.net
	if n.Type != "Overlay" || len(n.Ipams) != 1 || len(n.Ipams[0].Subnets) != 1 {
		t.Fatalf("network = %+v", n)
	}
	sn := n.Ipams[0].Subnets[0]
	if sn.IpAddressPrefix != "10.244.5.0/26" || sn.Routes[0].NextHop != "10.244.5.1" || sn.Routes[0].DestinationPrefix != "0.0.0.0/0" {
		t.Errorf("subnet = %+v", sn)
	}
	if len(sn.Policies) != 1 || string(sn.Policies[0]) != `{"Type":"VSID","Settings":{"IsolationId":4096}}` {
		t.Errorf("subnet policies = %s", sn.Policies)
	}
	var types []string
	for _, p := range n.Policies {
		types = append(types, p.Type)
	}
	if got := strings.Join(types, ","); got != "NetAdapterName,HostRoute,ProviderAddress,DrMacAddress" {
		t.Errorf("network policy types = %s", got)
	}
	if n.MacPool.Ranges[0].StartMacAddress != "00-15-5D-00-00-00" || n.SchemaVersion != hns.V2 {
		t.Errorf("MacPool %+v, SchemaVersion %+v", n.MacPool, n.SchemaVersion)
	}
	ep, err := f.s.GetEndpointByName(context.Background(), "Calico_ep")
	check(t, "GetEndpointByName(Calico_ep)", err)
	if ep.Flags != hns.EndpointFlagRemote || ep.IpConfigurations[0].IpAddress != "10.244.5.2" || ep.IpConfigurations[0].PrefixLength != 26 {
		t.Errorf("host endpoint = %+v", ep)
	}
}

func TestAddNetworkPolicyIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "AddNetworkPolicy", f.s.AddNetworkPolicy(ctx, strings.ToLower(f.networkID), []hns.Policy{pol("hostroute", ` { } `)}))
	n, err := f.s.GetNetworkByID(ctx, f.networkID)
	check(t, "GetNetworkByID", err)
	count := 0
	for _, p := range n.Policies {
		if p.Type == hns.HostRoute {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d HostRoute policies after adding it twice, want 1", count)
	}
}

func TestDeleteNetwork(t *testing.T) {
	tests := []struct {
		name    string
		cascade bool
		wantErr uint32
	}{
		{"cascade", true, 0},
		{"refuse", false, hns.EntityHasReferences},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, WithCascadeNetworkDelete(tt.cascade))
			ctx := context.Background()
			err := f.s.DeleteNetwork(ctx, f.networkID)
			if hns.Code(err) != tt.wantErr || (err != nil) != (tt.wantErr != 0) {
				t.Fatalf("DeleteNetwork = %v, want code 0x%x", err, tt.wantErr)
			}
			eps, err := f.s.ListEndpoints(ctx)
			check(t, "ListEndpoints", err)
			if tt.cascade {
				if len(eps) != 0 {
					t.Errorf("%d endpoints survive the network", len(eps))
				}
				ns, err := f.s.GetNamespaceByID(ctx, f.ns1.Id)
				check(t, "GetNamespaceByID", err)
				if len(ns.Resources) != 0 {
					t.Errorf("namespace keeps resources of deleted endpoints: %+v", ns.Resources)
				}
				return
			}
			if len(eps) != 4 {
				t.Errorf("refused delete left %d endpoints, want 4", len(eps))
			}
			if !hns.IsConflict(err) && err != nil {
				t.Errorf("IsConflict(%v) = false", err)
			}
		})
	}
}

// After a reboot calico-node recreates the network under the same name
// with a new ID; endpoints on the old network are gone.
func TestRecreatedNetworkHasNewID(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "DeleteNetwork", f.s.DeleteNetwork(ctx, f.networkID))
	n, err := f.s.SetupOverlay(ctx, OverlaySpec{Name: "Calico", Subnet: f.subnet}, 0)
	check(t, "SetupOverlay", err)
	if strings.EqualFold(n.Id, f.networkID) {
		t.Errorf("recreated network kept ID %s", n.Id)
	}
	if _, err := f.s.GetEndpointByName(ctx, "a_Calico"); !hns.IsNotFound(err) {
		t.Errorf("endpoint of the old network: err = %v, want not found", err)
	}
	if _, err := f.s.CreateEndpoint(ctx, &hns.Endpoint{Name: "a_Calico", HostComputeNetwork: n.Id,
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.10"}}}); err != nil {
		t.Errorf("address of a deleted network's endpoint not reusable: %v", err)
	}
}

func TestNetworkTypeIsCanonical(t *testing.T) {
	s := openSim(t)
	n := OverlayNetwork(OverlaySpec{Name: "br", Subnet: netip.MustParsePrefix("10.9.0.0/24")})
	n.Type = "l2bridge"
	n.Ipams[0].Subnets[0].Policies = nil // VSID is VXLAN's
	got, err := s.CreateNetwork(context.Background(), n)
	check(t, "CreateNetwork", err)
	if got.Type != "L2Bridge" {
		t.Errorf("Type = %q, want L2Bridge", got.Type)
	}
}
