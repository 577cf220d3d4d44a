package dataplane

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/testdir"
)

// newOverlayDataplane is a VXLAN dataplane (conf "Calico", one network per
// block unless single) on a fresh simulator.
func newOverlayDataplane(t *testing.T, single bool) (*Dataplane, *sim.Sim) {
	t.Helper()
	dir := testdir.New(t)
	s, err := sim.Open(filepath.Join(dir, "hns"), sim.WithHostAddress("10.0.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	return New(s, Options{Name: "Calico", SingleNetwork: single, Mode: Overlay(4096, "0E-2A"),
		LockPath: filepath.Join(dir, "hns-network.lock")}), s
}

// attach gives container cid the address addr of block, in a new namespace.
func attach(t *testing.T, dp *Dataplane, s *sim.Sim, cid, addr string, block netip.Prefix) *hns.Endpoint {
	t.Helper()
	ctx := context.Background()
	n, mgmt, err := dp.EnsureNetwork(ctx, block)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
	if err != nil {
		t.Fatal(err)
	}
	ep, _, err := dp.AttachPod(ctx, n, mgmt, Pod{ContainerID: cid, NamespaceID: strings.ToUpper(ns.Id),
		Addr: netip.MustParseAddr(addr), Block: block})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestPodEndpoints(t *testing.T) {
	ctx := context.Background()
	dp, s := newOverlayDataplane(t, false)
	blockA, blockB := netip.MustParsePrefix("10.244.5.0/26"), netip.MustParsePrefix("10.244.5.64/26")
	a := attach(t, dp, s, "cid-a", "10.244.5.3", blockA)
	b := attach(t, dp, s, "cid-b", "10.244.5.67", blockB)
	n, err := s.GetNetworkByName(ctx, dp.NetworkName(blockA))
	if err != nil {
		t.Fatal(err)
	}
	// Not ours: a remote endpoint named like a pod's, another conf's pod,
	// another program's endpoint (the host endpoint "Calico_ep" is there too).
	for _, ep := range []hns.Endpoint{
		{Name: "cid-remote_Calico", Flags: hns.EndpointFlagRemote, IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.40"}}},
		{Name: "cid-x_Other", IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.41"}}},
		{Name: "kube-proxy-sourcevip", IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.42"}}},
	} {
		ep.HostComputeNetwork = n.Id
		if _, err := s.CreateEndpoint(ctx, &ep); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		networks []string
		want     map[string]string // container ID -> endpoint ID
	}{
		{"both blocks", []string{dp.NetworkName(blockA), dp.NetworkName(blockB)}, map[string]string{"cid-a": a.Id, "cid-b": b.Id}},
		{"one block", []string{dp.NetworkName(blockB)}, map[string]string{"cid-b": b.Id}},
		{"a network that does not exist", []string{"Calico-10-244-9-0", dp.NetworkName(blockA)}, map[string]string{"cid-a": a.Id}},
		{"none", nil, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dp.PodEndpoints(ctx, tc.networks)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{}
			for cid, ep := range got {
				ids[cid] = ep.Id
			}
			if !maps.Equal(ids, tc.want) {
				t.Errorf("PodEndpoints = %v, want %v", ids, tc.want)
			}
		})
	}
}

// failingNetwork fails the lookup of one network by name.
type failingNetwork struct {
	hns.Client
	name string
}

var errLookup = errors.New("lookup failed")

func (f failingNetwork) GetNetworkByName(ctx context.Context, name string) (*hns.Network, error) {
	if name == f.name {
		return nil, errLookup
	}
	return f.Client.GetNetworkByName(ctx, name)
}

// A failure is returned with what was found before it, so GC still
// collects those.
func TestPodEndpointsPartialOnError(t *testing.T) {
	ctx := context.Background()
	dp, s := newOverlayDataplane(t, false)
	blockA, blockB := netip.MustParsePrefix("10.244.5.0/26"), netip.MustParsePrefix("10.244.5.64/26")
	a := attach(t, dp, s, "cid-a", "10.244.5.3", blockA)
	attach(t, dp, s, "cid-b", "10.244.5.67", blockB)
	failing := New(failingNetwork{s, dp.NetworkName(blockB)}, dp.opt)
	got, err := failing.PodEndpoints(ctx, []string{dp.NetworkName(blockA), dp.NetworkName(blockB)})
	if !errors.Is(err, errLookup) || !strings.Contains(err.Error(), "looking up HNS network Calico-10-244-5-64") {
		t.Errorf("err = %v", err)
	}
	if len(got) != 1 || got["cid-a"] == nil || got["cid-a"].Id != a.Id {
		t.Errorf("PodEndpoints = %v, want cid-a's endpoint", slices.Collect(maps.Keys(got)))
	}
}
