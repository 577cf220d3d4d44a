package etcd

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
)

// Benchmarks against the real etcd (go test -run '^$' -bench . ./datastore/etcd).

// BenchmarkRead is the Read an IPAM ADD starts with: config, pools, node,
// the host's affinities, its block and handle.
func BenchmarkRead(b *testing.B) {
	s, srv := newTestStore(b)
	srv.PutIPPool(b, datastore.IPPool{Name: "pool-10-244", CIDR: netip.MustParsePrefix("10.244.0.0/16")})
	srv.PutNode(b, "node1", map[string]string{"kubernetes.io/os": "windows"})
	srv.PutIPAMConfig(b, true, true, 0)
	if err := s.Commit(testCtx(b), datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create, Value: datastore.Affinity{Host: "node1", CIDR: goldenBlock, State: datastore.AffinityConfirmed}}},
		Blocks:     []datastore.Write[datastore.Block]{{Op: datastore.Create, Value: firstBlock()}},
	}); err != nil {
		b.Fatal(err)
	}
	q := datastore.Query{
		Config: true, Pools: true, ClusterInfo: true, Node: "node1", Affinities: "node1",
		Handles: []string{"k8s-pod-network.test0001"}, Blocks: []netip.Prefix{goldenBlock},
	}
	ctx := testCtx(b)
	b.ReportAllocs()
	before := s.RoundTrips()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Read(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.RoundTrips()-before)/float64(b.N), "roundtrips/op")
}

// BenchmarkCommit is the Commit of an IPAM ADD: the block updated by
// compare-and-swap and a new handle created.
func BenchmarkCommit(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := testCtx(b)
	block := firstBlock()
	if err := s.Commit(ctx, datastore.Change{Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Create, Value: block}}}); err != nil {
		b.Fatal(err)
	}
	rev := s.mustBlockRev(b, goldenBlock)
	b.ReportAllocs()
	b.ResetTimer()
	for n := range b.N {
		block.SequenceNumber++
		h := datastore.Handle{HandleID: "k8s-pod-network.bench-" + itoa(n), Block: map[string]int{goldenBlock.String(): 1}}
		err := s.Commit(ctx, datastore.Change{
			Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: h}},
			Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: block, Rev: rev}},
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer() // the next CAS needs the new revision; reading it is not part of a Commit
		rev = s.mustBlockRev(b, goldenBlock)
		b.StartTimer()
	}
}

func (s *Store) mustBlockRev(b *testing.B, cidr netip.Prefix) string {
	snap, err := s.Read(testCtx(b), datastore.Query{Blocks: []netip.Prefix{cidr}})
	if err != nil {
		b.Fatal(err)
	}
	return snap.Blocks[cidr].Rev
}

func itoa(n int) string { return revString(i64(n)) }
