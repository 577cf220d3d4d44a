package kdd

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
)

// Benchmarks against the real kube-apiserver on loopback, with the CNI
// role's token; requests/op is API requests, peak the most in flight at
// once. Run: go test -run XXX -bench . ./datastore/kdd

func benchStore(b *testing.B) (*Store, *kastest.Server) {
	b.Helper()
	s, srv := newTestStore(b)
	srv.PutNode(b, goldenHost, nil)
	srv.PutIPAMConfig(b, true, true, 0)
	srv.PutClusterInformation(b, ptr(true))
	srv.PutIPPool(b, datastore.IPPool{Name: "pool", CIDR: netip.MustParsePrefix("10.244.0.0/16")})
	srv.PutPod(b, kastest.Pod{Namespace: "default", Name: "web-0", Node: goldenHost})
	commit(b, s, claim(goldenHost, windowsBlock(), goldenHandle))
	return s, srv
}

func report(b *testing.B, s *Store, before int64) {
	b.ReportMetric(float64(s.Requests()-before)/float64(b.N), "requests/op")
	b.ReportMetric(float64(s.c.Peak()), "peak")
}

// BenchmarkRead is the first read of an ADD: IPAMConfig, pools,
// ClusterInformation, node, the host's affinities, the handle and the pod.
func BenchmarkRead(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	if _, err := s.Read(ctx, addQuery()); err != nil { // connect
		b.Fatal(err)
	}
	s.c.ResetPeak()
	before := s.Requests()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Read(ctx, addQuery()); err != nil {
			b.Fatal(err)
		}
	}
	report(b, s, before)
}

// BenchmarkReadSequential reads what BenchmarkRead does, one request
// after the other: what issuing them in parallel saves.
func BenchmarkReadSequential(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	q := addQuery()
	parts := []datastore.Query{{Config: true}, {Pools: true}, {ClusterInfo: true}, {Node: q.Node},
		{Affinities: q.Affinities}, {Handles: q.Handles}, {Endpoints: q.Endpoints}}
	s.c.ResetPeak()
	before := s.Requests()
	b.ResetTimer()
	for range b.N {
		for _, p := range parts {
			if _, err := s.Read(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	report(b, s, before)
}

// BenchmarkReadOneBlock is one GET: the round trip a parallel Read is
// measured against.
func BenchmarkReadOneBlock(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	q := datastore.Query{Blocks: []netip.Prefix{goldenBlock}}
	if _, err := s.Read(ctx, q); err != nil {
		b.Fatal(err)
	}
	s.c.ResetPeak()
	before := s.Requests()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Read(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	report(b, s, before)
}

// BenchmarkReadNewProcess is what each CNI process pays for its first
// read: loading the kubeconfig, connecting (TCP, TLS) and the Read.
func BenchmarkReadNewProcess(b *testing.B) {
	_, srv := benchStore(b)
	kc := srv.CNIKubeconfig(b)
	ctx := context.Background()
	var requests int64
	b.ResetTimer()
	for range b.N {
		s := storeForBench(b, kc)
		if _, err := s.Read(ctx, addQuery()); err != nil {
			b.Fatal(err)
		}
		requests += s.Requests()
		s.Close()
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
}

// storeForBench is a Store in the group a CNI process knows (configured, or
// kept from an earlier discovery): no discovery request.
func storeForBench(b *testing.B, kubeconfig string) *Store {
	s, err := New(Config{Config: k8s.Config{Kubeconfig: kubeconfig}, APIGroup: GroupV1.String()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkCommitAssign is the write of a steady-state ADD: a new handle,
// then the block with the address allocated.
func BenchmarkCommitAssign(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	snap, err := s.Read(ctx, datastore.Query{Blocks: []netip.Prefix{goldenBlock}})
	if err != nil {
		b.Fatal(err)
	}
	blk := snap.Blocks[goldenBlock]
	s.c.ResetPeak()
	before := s.Requests()
	b.ResetTimer()
	for i := range b.N {
		blk.Value.SequenceNumber++
		rev, err := commitRev(ctx, s, datastore.Change{
			Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create,
				Value: datastore.Handle{HandleID: fmt.Sprintf("Calico.bench%d", i), Block: map[string]int{goldenBlock.String(): 1}}}},
			Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk.Value, Rev: blk.Rev}},
		})
		if err != nil {
			b.Fatal(err)
		}
		blk.Rev = rev
	}
	report(b, s, before)
}

// BenchmarkCommitAssignRelease is an assignment and its release (block
// updated, handle marked deleted then removed): one ADD's and one DEL's
// writes.
func BenchmarkCommitAssignRelease(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	snap, err := s.Read(ctx, datastore.Query{Blocks: []netip.Prefix{goldenBlock}})
	if err != nil {
		b.Fatal(err)
	}
	blk := snap.Blocks[goldenBlock]
	h := datastore.Handle{HandleID: "Calico.bench", Block: map[string]int{goldenBlock.String(): 1}}
	s.c.ResetPeak()
	before := s.Requests()
	b.ResetTimer()
	for range b.N {
		blk.Value.SequenceNumber++
		if blk.Rev, err = commitRev(ctx, s, datastore.Change{
			Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: h}},
			Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk.Value, Rev: blk.Rev}},
		}); err != nil {
			b.Fatal(err)
		}
		hs, err := s.Read(ctx, datastore.Query{Handles: []string{h.HandleID}})
		if err != nil {
			b.Fatal(err)
		}
		blk.Value.SequenceNumber++
		if blk.Rev, err = commitRev(ctx, s, datastore.Change{
			Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Delete, Value: h, Rev: hs.Handles[h.HandleID].Rev}},
			Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk.Value, Rev: blk.Rev}},
		}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, s, before)
}

// commitRev commits c and returns the new revision of its one block (read
// from this Commit's journal, to chain updates without reading).
func commitRev(ctx context.Context, s *Store, c datastore.Change) (string, error) {
	j := &journal{s: s}
	if err := s.apply(ctx, c, j); err != nil {
		return "", err
	}
	return j.rev(ipamBlocks, blockName(c.Blocks[0].Value.CIDR)), nil
}

// BenchmarkPutEndpoint is the WorkloadEndpoint write of an ADD: one
// conditional PATCH of pods/status.
func BenchmarkPutEndpoint(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	rev, err := s.PutWorkloadEndpoint(ctx, datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("a", "10.244.5.3/32")})
	if err != nil {
		b.Fatal(err)
	}
	s.c.ResetPeak()
	before := s.Requests()
	b.ResetTimer()
	for i := range b.N {
		w := webEndpoint(fmt.Sprint(i), "10.244.5.3/32")
		if rev, err = s.PutWorkloadEndpoint(ctx, datastore.Versioned[datastore.WorkloadEndpoint]{Value: w, Rev: rev}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, s, before)
}
