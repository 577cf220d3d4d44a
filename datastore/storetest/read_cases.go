package storetest

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
)

func testReadEmpty(t *testing.T, s datastore.Store, _ Seeder) {
	snap := read(t, s, datastore.Query{
		Config: true, Pools: true, ClusterInfo: true, Node: "node1", Affinities: "node1",
		Handles:   []string{"k8s-pod-network.abc"},
		Blocks:    []netip.Prefix{blockA},
		Endpoints: []datastore.WEPKey{{Namespace: "default", Name: "node1-k8s-pod1-eth0"}},
	})
	if snap.Config != nil {
		t.Errorf("Config = %+v, want nil (no config object)", *snap.Config)
	}
	if len(snap.Pools) != 0 {
		t.Errorf("Pools = %+v, want none", snap.Pools)
	}
	if snap.ClusterInfo != nil {
		t.Errorf("ClusterInfo = %+v, want nil", *snap.ClusterInfo)
	}
	if snap.Node != nil {
		t.Errorf("Node = %+v, want nil", *snap.Node)
	}
	if len(snap.Affinities)+len(snap.Handles)+len(snap.Blocks)+len(snap.Endpoints) != 0 {
		t.Errorf("absent objects were returned: %+v", snap)
	}
}

func testReadIPAMConfig(t *testing.T, s datastore.Store, seed Seeder) {
	want := datastore.IPAMConfig{StrictAffinity: true, AutoAllocateBlocks: true, MaxBlocksPerHost: 7}
	seed.SeedIPAMConfig(t, want)
	snap := read(t, s, datastore.Query{Config: true})
	if snap.Config == nil || *snap.Config != want {
		t.Fatalf("Config = %+v, want %+v", snap.Config, want)
	}
	if snap.Pools != nil || snap.Node != nil || snap.ClusterInfo != nil {
		t.Errorf("Read returned what was not asked for: %+v", snap)
	}
}

func testReadPools(t *testing.T, s datastore.Store, seed Seeder) {
	want := []datastore.IPPool{
		{
			Name: "pool-10-244", CIDR: netip.MustParsePrefix("10.244.0.0/16"), BlockSize: 26,
			NATOutgoing: true, NodeSelector: "all()", AllowedUses: []string{"Workload", "Tunnel"},
			AssignmentMode: "Automatic", VXLANMode: "Always",
		},
		{
			Name: "pool-manual", CIDR: netip.MustParsePrefix("10.96.0.0/20"), BlockSize: 28, Disabled: true,
			NodeSelector: "kubernetes.io/os == 'windows'", NamespaceSelector: "team == 'a'",
			AllowedUses: []string{"Workload"}, AssignmentMode: "Manual", VXLANMode: "Never",
		},
	}
	for _, p := range want {
		seed.SeedIPPool(t, p)
	}
	got := read(t, s, datastore.Query{Pools: true}).Pools
	slices.SortFunc(got, func(a, b datastore.IPPool) int { return strings.Compare(a.Name, b.Name) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pools:\n got %+v\nwant %+v", got, want)
	}
}

func testReadClusterInformation(t *testing.T, s datastore.Store, seed Seeder) {
	yes, no := true, false
	for _, tc := range []struct {
		name  string
		ready *bool
	}{{"ready", &yes}, {"not ready", &no}, {"field absent", nil}} {
		seed.SeedClusterInformation(t, tc.ready)
		ci := read(t, s, datastore.Query{ClusterInfo: true}).ClusterInfo
		if ci == nil {
			t.Fatalf("%s: ClusterInfo = nil, want present", tc.name)
		}
		if !reflect.DeepEqual(ci.DatastoreReady, tc.ready) {
			t.Errorf("%s: DatastoreReady = %v, want %v", tc.name, deref(ci.DatastoreReady), deref(tc.ready))
		}
	}
}

func deref(b *bool) any {
	if b == nil {
		return "nil"
	}
	return *b
}

func testReadNode(t *testing.T, s datastore.Store, seed Seeder) {
	want := datastore.Node{Name: "node1", Labels: map[string]string{"kubernetes.io/os": "windows", "zone": "a"}}
	seed.SeedNode(t, want)
	seed.SeedNode(t, datastore.Node{Name: "node10", Labels: map[string]string{"zone": "b"}})
	got := read(t, s, datastore.Query{Node: "node1"}).Node
	if got == nil || got.Name != want.Name || !reflect.DeepEqual(got.Labels, want.Labels) {
		t.Errorf("Node = %+v, want %+v", got, want)
	}
	if n := read(t, s, datastore.Query{Node: "node2"}).Node; n != nil {
		t.Errorf("Node(node2) = %+v, want nil", *n)
	}
}

func testReadAffinities(t *testing.T, s datastore.Store, _ Seeder) {
	pending := confirmed("node1", blockB)
	pending.State = datastore.AffinityPending
	commit(t, s, datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{
		create(confirmed("node1", blockA)),
		create(pending),
		create(confirmed("node10", blockC)), // a host whose name extends node1's
	}})
	got := read(t, s, datastore.Query{Affinities: "node1"}).Affinities
	slices.SortFunc(got, func(a, b datastore.Versioned[datastore.Affinity]) int {
		return a.Value.CIDR.Addr().Compare(b.Value.CIDR.Addr())
	})
	want := []datastore.Affinity{confirmed("node1", blockA), pending}
	if len(got) != len(want) {
		t.Fatalf("Affinities(node1) = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Value != want[i] {
			t.Errorf("affinity %d = %+v, want %+v", i, got[i].Value, want[i])
		}
		if got[i].Rev == "" {
			t.Errorf("affinity %d has no Rev", i)
		}
	}
}

func testReadReservations(t *testing.T, s datastore.Store, seed Seeder) {
	if snap := read(t, s, datastore.Query{Reservations: true}); len(snap.Reservations) != 0 {
		t.Fatalf("Reservations with none stored = %v", snap.Reservations)
	}
	seed.SeedIPReservation(t, "gateways", []string{"10.244.5.0/30", "10.244.6.7/32"})
	seed.SeedIPReservation(t, "legacy", []string{"10.250.0.0/24"})
	snap := read(t, s, datastore.Query{Reservations: true})
	got := map[string]bool{}
	for _, r := range snap.Reservations {
		got[r.String()] = true
	}
	for _, want := range []string{"10.244.5.0/30", "10.244.6.7/32", "10.250.0.0/24"} {
		if !got[want] {
			t.Errorf("Reservations = %v, missing %s", snap.Reservations, want)
		}
	}
	if len(snap.Reservations) != 3 {
		t.Errorf("Reservations = %v, want 3", snap.Reservations)
	}
}
