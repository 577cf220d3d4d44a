package kdd

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// addQuery is everything the first read of an ADD asks for (ipam.Assign
// with the plugin's extras).
func addQuery() datastore.Query {
	return datastore.Query{
		Config: true, Pools: true, ClusterInfo: true, Node: goldenHost, Affinities: goldenHost,
		Handles: []string{goldenHandle}, Endpoints: []datastore.WEPKey{webKey},
	}
}

// TestRequestsIntegration pins the API requests of each operation, and that
// a Read issues its requests in parallel (one per object or list: the
// Kubernetes API has no multi-object read).
func TestRequestsIntegration(t *testing.T) { bothGroups(t, testRequests) }

func testRequests(t *testing.T, crds kastest.CRDSet) {
	s, srv := newTestStoreIn(t, crds)
	srv.PutNode(t, goldenHost, nil)
	srv.PutIPAMConfig(t, true, true, 0)
	srv.PutClusterInformation(t, ptr(true))
	srv.PutIPPool(t, datastore.IPPool{Name: "pool", CIDR: netip.MustParsePrefix("10.244.0.0/16")})
	srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: goldenHost})
	var wholePool []netip.Prefix
	for i := range 1024 {
		wholePool = append(wholePool, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i / 4), byte(i % 4 * 64)}), 26))
	}
	var snap *datastore.Snapshot
	var wepRev string
	for _, tc := range []struct {
		name     string
		requests int64
		parallel int64 // the least number of requests that must have been in flight at once
		op       func() error
	}{
		{"Read of an ADD's first query (7 kinds)", 7, 2, func() (err error) { snap, err = s.Read(testCtx(t), addQuery()); return err }},
		{"empty Read", 0, 0, func() error { _, err := s.Read(testCtx(t), datastore.Query{}); return err }},
		{"BlocksExist of a whole /16", 1, 1, func() error { _, err := s.BlocksExist(testCtx(t), wholePool); return err }},
		{"Commit of a claim (affinity pending, handle, block, affinity confirmed)", 4, 1, func() error {
			return s.Commit(testCtx(t), claim(goldenHost, windowsBlock(), goldenHandle))
		}},
		{"Read of a block", 1, 1, func() (err error) {
			snap, err = s.Read(testCtx(t), datastore.Query{Blocks: []netip.Prefix{goldenBlock}})
			return err
		}},
		{"Commit of a steady-state assignment (handle, block)", 2, 1, func() error {
			b := snap.Blocks[goldenBlock]
			b.Value.SequenceNumber++
			return s.Commit(testCtx(t), datastore.Change{
				Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: datastore.Handle{HandleID: "Calico.second", Block: map[string]int{goldenBlock.String(): 1}}}},
				Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: b.Value, Rev: b.Rev}},
			})
		}},
		{"PutWorkloadEndpoint after the Read found none", 1, 1, func() (err error) {
			wepRev, err = s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("a", "10.244.5.3/32")})
			return err
		}},
		{"GetWorkloadEndpoint", 1, 1, func() error { _, err := s.GetWorkloadEndpoint(testCtx(t), webKey); return err }},
		{"DeleteWorkloadEndpoint", 1, 1, func() error { return s.DeleteWorkloadEndpoint(testCtx(t), webKey, wepRev) }},
		{"ListHandleIDs", 1, 1, func() error { _, err := s.ListHandleIDs(testCtx(t), "Calico."); return err }},
		{"Read of a handle and a block", 2, 2, func() (err error) {
			snap, err = s.Read(testCtx(t), datastore.Query{Handles: []string{"Calico.second"}, Blocks: []netip.Prefix{goldenBlock}})
			return err
		}},
		{"Commit of a release (block, then the handle deleted at its revision)", 2, 1, func() error {
			b, h := snap.Blocks[goldenBlock], snap.Handles["Calico.second"]
			b.Value.SequenceNumber++
			return s.Commit(testCtx(t), datastore.Change{
				Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Delete, Value: h.Value, Rev: h.Rev}},
				Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: b.Value, Rev: b.Rev}},
			})
		}},
	} {
		before := s.Requests()
		s.c.ResetPeak()
		if err := tc.op(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := s.Requests() - before
		if got != tc.requests {
			t.Errorf("%s: %d requests, want %d", tc.name, got, tc.requests)
		}
		if p := s.c.Peak(); p < tc.parallel {
			t.Errorf("%s: at most %d requests in flight at once, want at least %d", tc.name, p, tc.parallel)
		}
		t.Logf("%s: %d requests, %d in flight at most", tc.name, got, s.c.Peak())
	}
}
