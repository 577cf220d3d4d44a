package etcd

import (
	"encoding/json"
	"net/netip"
	"testing"

	v3 "github.com/projectcalico/api/pkg/apis/projectcalico/v3"

	"github.com/calico-win/cni/datastore"
)

// Calico's own API types (tests only: they pull in apimachinery) check that
// what we seed and write is what Calico's readers expect. Where a type is
// etcd's own model (blocks, handles, the IPAM config under /calico/ipam/v2),
// the golden tests compare bytes instead: the v3 API has no type for them.

// TestSeededResourcesAreCalicosIntegration: a pool and a ClusterInformation
// seeded by etcdtest decode into Calico's v3 types and encode back to the
// same bytes, so the seeds are what calicoctl would have stored.
func TestSeededResourcesAreCalicosIntegration(t *testing.T) {
	_, srv := newTestStore(t)
	ready := true
	srv.PutIPPool(t, datastore.IPPool{Name: "pool-10-244", CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: true, VXLANMode: "Always"})
	srv.PutClusterInformation(t, &ready)

	for _, tc := range []struct {
		key  string
		into any
	}{
		{"/calico/resources/v3/projectcalico.org/ippools/pool-10-244", &v3.IPPool{}},
		{"/calico/resources/v3/projectcalico.org/clusterinformations/default", &v3.ClusterInformation{}},
	} {
		stored, ok := srv.Get(t, tc.key)
		if !ok {
			t.Fatalf("%s not seeded", tc.key)
		}
		if err := json.Unmarshal([]byte(stored), tc.into); err != nil {
			t.Fatalf("%s does not decode into %T: %v", tc.key, tc.into, err)
		}
		again, err := json.Marshal(tc.into)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != stored {
			t.Errorf("%s: Calico's %T encodes it differently:\n stored %s\n calico %s", tc.key, tc.into, stored, again)
		}
	}

	var pool v3.IPPool
	stored, _ := srv.Get(t, "/calico/resources/v3/projectcalico.org/ippools/pool-10-244")
	_ = json.Unmarshal([]byte(stored), &pool)
	if pool.Spec.CIDR != "10.244.0.0/16" || pool.Spec.BlockSize != 26 || !pool.Spec.NATOutgoing ||
		pool.Spec.VXLANMode != v3.VXLANModeAlways || pool.Spec.NodeSelector != "all()" ||
		pool.Spec.AssignmentMode == nil || *pool.Spec.AssignmentMode != v3.Automatic || len(pool.Spec.AllowedUses) != 2 {
		t.Errorf("seeded pool reads in Calico as %+v", pool.Spec)
	}
}

// TestReadMatchesCalicoIPPoolIntegration: for the reference pool, every
// field Read returns equals what Calico's v3.IPPool says.
func TestReadMatchesCalicoIPPoolIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	srv.Put(t, "/calico/resources/v3/projectcalico.org/ippools/pool-10-244", referencePool)
	var calico v3.IPPool
	if err := json.Unmarshal([]byte(referencePool), &calico); err != nil {
		t.Fatal(err)
	}
	pools := read(t, s, datastore.Query{Pools: true}).Pools
	if len(pools) != 1 {
		t.Fatalf("pools = %+v", pools)
	}
	p := pools[0]
	uses := make([]string, len(calico.Spec.AllowedUses))
	for i, u := range calico.Spec.AllowedUses {
		uses[i] = string(u)
	}
	want := datastore.IPPool{
		Name: calico.Name, CIDR: netip.MustParsePrefix(calico.Spec.CIDR), BlockSize: calico.Spec.BlockSize,
		Disabled: calico.Spec.Disabled, NATOutgoing: calico.Spec.NATOutgoing, NodeSelector: calico.Spec.NodeSelector,
		NamespaceSelector: calico.Spec.NamespaceSelector, AllowedUses: uses,
		AssignmentMode: string(*calico.Spec.AssignmentMode), VXLANMode: string(calico.Spec.VXLANMode),
	}
	sameValue(t, "pool", p, want)
}

// TestAffinityValueReadsAsCalicoStateIntegration: the affinity value we
// write carries the state under the name Calico's BlockAffinity uses.
func TestAffinityValueReadsAsCalicoStateIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	for _, state := range []string{datastore.AffinityPending, datastore.AffinityConfirmed, datastore.AffinityPendingDeletion} {
		srv.Wipe(t)
		err := s.Commit(testCtx(t), datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create,
			Value: datastore.Affinity{Host: "node1", CIDR: goldenBlock, State: state}}}})
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := srv.Get(t, "/calico/ipam/v2/host/node1/ipv4/block/10.244.166.128-26")
		var spec v3.BlockAffinitySpec
		if err := json.Unmarshal([]byte(stored), &spec); err != nil || string(spec.State) != state || spec.Deleted {
			t.Errorf("%s stored as %s, read by Calico as %+v (%v)", state, stored, spec, err)
		}
	}
}

func sameValue(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}
