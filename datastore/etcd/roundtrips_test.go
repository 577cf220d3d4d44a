package etcd

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
)

// TestRoundTripsIntegration pins the cost of each operation in HTTP round
// trips to etcd: the point of this backend is one per IPAM step, where
// Calico's client needs 8 ranges and 2 transactions for an ADD.
func TestRoundTripsIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	srv.PutIPPool(t, datastore.IPPool{Name: "pool-10-244", CIDR: netip.MustParsePrefix("10.244.0.0/16")})
	srv.PutNode(t, "node1", nil)
	block := firstBlock()
	handle := datastore.Handle{HandleID: "k8s-pod-network.test0001", Block: map[string]int{goldenBlock.String(): 1}}
	wep := referenceEndpoint()
	wepKey := datastore.WEPKey{Namespace: wep.Metadata.Namespace, Name: wep.Metadata.Name}
	var wepRev string
	var wholePool []netip.Prefix
	for i := range 1024 {
		wholePool = append(wholePool, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i / 4), byte(i % 4 * 64)}), 26))
	}
	fullQuery := datastore.Query{
		Config: true, Pools: true, ClusterInfo: true, Node: "node1", Affinities: "node1",
		Handles: []string{handle.HandleID}, Blocks: []netip.Prefix{goldenBlock}, Endpoints: []datastore.WEPKey{wepKey},
	}

	for _, tc := range []struct {
		name string
		want int64
		op   func() error
	}{
		{"Commit of affinity, handle and block", 1, func() error {
			return s.Commit(testCtx(t), datastore.Change{
				Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create, Value: datastore.Affinity{Host: "node1", CIDR: goldenBlock, State: datastore.AffinityConfirmed}}},
				Handles:    []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: handle}},
				Blocks:     []datastore.Write[datastore.Block]{{Op: datastore.Create, Value: block}},
			})
		}},
		{"Commit that loses (diagnosed in the same round trip)", 1, func() error {
			err := s.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: handle}}})
			if err == nil {
				t.Error("second create succeeded")
			}
			return nil
		}},
		{"empty Commit", 0, func() error { return s.Commit(testCtx(t), datastore.Change{}) }},
		{"Read of everything an ADD needs", 1, func() error { _, err := s.Read(testCtx(t), fullQuery); return err }},
		{"empty Read", 0, func() error { _, err := s.Read(testCtx(t), datastore.Query{}); return err }},
		{"BlocksExist of 3", 1, func() error {
			_, err := s.BlocksExist(testCtx(t), wholePool[:3])
			return err
		}},
		{"BlocksExist of a whole /16", 1, func() error { _, err := s.BlocksExist(testCtx(t), wholePool); return err }},
		{"ListHandleIDs", 1, func() error { _, err := s.ListHandleIDs(testCtx(t), "k8s-pod-network."); return err }},
		{"PutWorkloadEndpoint", 1, func() (err error) {
			wepRev, err = s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: wep})
			return err
		}},
		{"GetWorkloadEndpoint", 1, func() error { _, err := s.GetWorkloadEndpoint(testCtx(t), wepKey); return err }},
		{"DeleteWorkloadEndpoint", 1, func() error { return s.DeleteWorkloadEndpoint(testCtx(t), wepKey, wepRev) }},
	} {
		before := s.RoundTrips()
		if err := tc.op(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := s.RoundTrips() - before; got != tc.want {
			t.Errorf("%s: %d round trips, want %d", tc.name, got, tc.want)
		}
	}
}
