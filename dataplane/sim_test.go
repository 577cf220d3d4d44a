package dataplane

// The dataplane in-process against the simulator. It also runs as a Windows
// binary under Wine (scripts/wine-test.sh), where it exercises the Windows
// file locks and paths on the code path a real node runs.

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/testdir"
)

func TestDataplaneOnSimulator(t *testing.T) {
	dir := testdir.New(t)
	s, err := sim.Open(filepath.Join(dir, "hns"), sim.WithHostAddress("10.0.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dp := New(s, Options{Name: "Calico", SingleNetwork: true, Mode: Overlay(4096, "0E-2A"),
		LockPath: filepath.Join(dir, "hns-network.lock"),
		Policies: []json.RawMessage{json.RawMessage(`{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12"]}`)}})
	block := netip.MustParsePrefix("10.244.5.0/26")
	// No network yet: created (under the network lock, LockFileEx here)
	// with the host endpoint.
	n, mgmt, err := dp.EnsureNetwork(ctx, block)
	if err != nil || mgmt.String() != "10.0.0.4" {
		t.Fatalf("EnsureNetwork: %v, %v", mgmt, err)
	}
	if n.Name != "Calico" || n.Type != "Overlay" || !hasPolicy(n.Policies, hns.HostRoute) {
		t.Errorf("network: %+v", n)
	}
	if sn := n.Ipams[0].Subnets[0]; len(sn.Policies) != 1 || string(sn.Policies[0]) != `{"Type":"VSID","Settings":{"IsolationId":4096}}` ||
		sn.Routes[0].NextHop != "10.244.5.1" {
		t.Errorf("subnet: %+v", sn)
	}
	hostEP, err := s.GetEndpointByName(ctx, "Calico_ep")
	if err != nil || hostEP.IpConfigurations[0].IpAddress != "10.244.5.2" || hostEP.Flags&hns.EndpointFlagRemote == 0 {
		t.Fatalf("host endpoint: %+v, %v", hostEP, err)
	}
	// A second call finds both as they are.
	if n2, _, err := dp.EnsureNetwork(ctx, block); err != nil || n2.Id != n.Id {
		t.Fatalf("EnsureNetwork again: %+v, %v", n2, err)
	}
	if ep, err := s.GetEndpointByName(ctx, "Calico_ep"); err != nil || ep.Id != hostEP.Id {
		t.Fatalf("host endpoint replaced: %+v, %v", ep, err)
	}
	ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
	if err != nil {
		t.Fatal(err)
	}
	nsID := strings.ToUpper(ns.Id)
	pools := []Pool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: true}}
	ep, created, err := dp.AttachPod(ctx, n, mgmt, Pod{ContainerID: "abc", NamespaceID: nsID,
		Addr: netip.MustParseAddr("10.244.5.3"), Block: block, Pools: pools})
	if err != nil || !created || ep.MacAddress != "0E-2A-0a-f4-05-03" || !strings.EqualFold(ep.HostComputeNamespace, ns.Id) {
		t.Fatalf("AttachPod: %+v, %v, %v", ep, created, err)
	}
	if err := dp.CheckPod(ctx, "abc", nsID, block, netip.MustParseAddr("10.244.5.3")); err != nil {
		t.Errorf("CheckPod: %v", err)
	}
	if err := dp.CheckPod(ctx, "abc", nsID, block, netip.MustParseAddr("10.244.5.4")); err == nil || !strings.Contains(err.Error(), "prevResult has 10.244.5.4") {
		t.Errorf("CheckPod with another address: %v", err)
	}
	if err := dp.RemovePod(ctx, "abc", nil); err != nil {
		t.Fatal(err)
	}
	if err := dp.RemovePod(ctx, "abc", nil); err != nil {
		t.Fatalf("RemovePod of a removed pod: %v", err)
	}
	if _, err := s.GetEndpointByName(ctx, "abc_Calico"); !hns.IsNotFound(err) {
		t.Fatalf("endpoint still there: %v", err)
	}
}

func hasPolicy(ps []hns.Policy, typ string) bool {
	for _, p := range ps {
		if p.Is(typ) {
			return true
		}
	}
	return false
}
