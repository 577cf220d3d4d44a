package ipam_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/ipam"
)

// recording is a real store that keeps the queries it was asked.
type recording struct {
	datastore.IPAMStore
	queries []datastore.Query
}

func (r *recording) Read(ctx context.Context, q datastore.Query) (*datastore.Snapshot, error) {
	r.queries = append(r.queries, q)
	return r.IPAMStore.Read(ctx, q)
}

// since is the blocks, and how many affinity reads, the queries from the
// nth on asked for.
func (r *recording) since(n int) (blocks []netip.Prefix, affinities int) {
	for _, q := range r.queries[n:] {
		blocks = append(blocks, q.Blocks...)
		if q.Affinities != "" {
			affinities++
		}
	}
	return blocks, affinities
}

// copying is an allocator of win-1 keeping a copy of its block (as the
// plugin does on the Kubernetes datastore), on a recording store.
func copying(b *backend, c *clock) (*ipam.Allocator, *recording) {
	rec := &recording{IPAMStore: b.store}
	a := b.alloc("win-1", c)
	a.Store, a.Hint, a.CopyBlock = rec, &memHint{}, true
	return a, rec
}

func testCopyBlock(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	c := &clock{t: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)}
	a, rec := copying(b, c)
	held := map[netip.Addr]string{}
	take := func(a *ipam.Allocator, id string) *ipam.Assignment {
		t.Helper()
		asg := assign(t, a, id, 0)
		if other, dup := held[asg.Addr]; dup {
			t.Fatalf("%s given to %s and %s", asg.Addr, other, id)
		}
		held[asg.Addr] = id
		return asg
	}
	first := take(a, "c1") // claims the block: its copy and affinity are kept

	n := len(rec.queries)
	take(a, "c2")
	if blocks, affs := rec.since(n); len(blocks) != 0 || affs != 0 {
		t.Errorf("steady state read blocks %v and %d affinity sets, want neither (the copy stands in)", blocks, affs)
	}

	// Another process of the node (no hint) writes the block: the copy is
	// stale, the write on it fails, and the retry reads the block.
	take(b.alloc("win-1", c), "other")
	n = len(rec.queries)
	take(a, "c3")
	if blocks, _ := rec.since(n); !slices.Contains(blocks, first.Block) {
		t.Errorf("after a stale copy, reads asked for blocks %v, want %s", blocks, first.Block)
	}

	// The affinity is trusted for a while only.
	c.advance(16 * time.Second)
	n = len(rec.queries)
	take(a, "c4")
	if _, affs := rec.since(n); affs == 0 {
		t.Error("the affinity was not read again once its trust ran out")
	}
	n = len(rec.queries)
	take(a, "c5")
	if _, affs := rec.since(n); affs != 0 {
		t.Error("the affinity read again while trusted")
	}

	// A release uses the copy, and keeps it in step.
	n = len(rec.queries)
	release(t, a, "c5")
	if blocks, _ := rec.since(n); slices.Contains(blocks, first.Block) {
		t.Errorf("the release read block %s, which it had a copy of", first.Block)
	}
	n = len(rec.queries)
	take(a, "c6")
	if blocks, _ := rec.since(n); len(blocks) != 0 {
		t.Errorf("after the release, the next assignment read blocks %v", blocks)
	}

	// Every handle holds exactly the address it was given.
	for addr, id := range held {
		if id == "c5" {
			continue // released
		}
		got, err := a.Addresses(ctx(t), "Calico."+id)
		if err != nil || len(got) != 1 || got[0] != addr {
			t.Errorf("handle %s holds %v (%v), want %s", id, got, err, addr)
		}
	}
}

func TestCopyBlock(t *testing.T) { onMem(t, testCopyBlock) }
func TestCopyBlockIntegration(t *testing.T) {
	t.Run("kdd", func(t *testing.T) { testCopyBlock(t, kddBackend(t)) })
}

// A pendingDeletion affinity (a release that lost to this node's write)
// under a trusted copy is confirmed once the trust runs out, as Calico's
// next assignment confirms it.
func testCopyBlockConfirmsPendingDeletion(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	c := &clock{t: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)}
	a, _ := copying(b, c)
	first := assign(t, a, "c1", 0)
	snap, err := b.store.Read(ctx(t), datastore.Query{Affinities: "win-1"})
	if err != nil || len(snap.Affinities) != 1 {
		t.Fatalf("affinities %+v, %v", snap, err)
	}
	af := snap.Affinities[0]
	af.Value.State = datastore.AffinityPendingDeletion
	if err := b.store.Commit(ctx(t), datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Update, Value: af.Value, Rev: af.Rev}}}); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		s, err := b.store.Read(ctx(t), datastore.Query{Affinities: "win-1"})
		if err != nil || len(s.Affinities) != 1 {
			t.Fatalf("affinities %+v, %v", s, err)
		}
		return s.Affinities[0].Value.State
	}
	if asg := assign(t, a, "c2", 0); asg.Block != first.Block {
		t.Fatalf("c2 in %s, want %s", asg.Block, first.Block)
	}
	if got := state(); got != datastore.AffinityPendingDeletion {
		t.Fatalf("affinity %q while trusted, want it left pendingDeletion (not read)", got)
	}
	c.advance(16 * time.Second)
	assign(t, a, "c3", 0)
	if got := state(); got != datastore.AffinityConfirmed {
		t.Errorf("affinity %q after the trust ran out, want confirmed", got)
	}
}

func TestCopyBlockConfirmsPendingDeletion(t *testing.T) {
	onMem(t, testCopyBlockConfirmsPendingDeletion)
}
func TestCopyBlockConfirmsPendingDeletionIntegration(t *testing.T) {
	t.Run("kdd", func(t *testing.T) { testCopyBlockConfirmsPendingDeletion(t, kddBackend(t)) })
}
