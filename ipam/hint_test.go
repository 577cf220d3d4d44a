package ipam_test

import (
	"context"
	"errors"
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

// startCopying seeds b and starts a copying allocator of win-1 on it with
// a first assignment, c1, which claims the block.
func startCopying(t *testing.T, b *backend) (*ipam.Allocator, *recording, *clock, *ipam.Assignment) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	c := &clock{t: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)}
	a, rec := copying(b, c)
	return a, rec, c, assign(t, a, "c1", 0)
}

// onKDD runs s on the kube-apiserver: the block copy is for the Kubernetes
// datastore.
func onKDD(t *testing.T, s scenario) { t.Run("kdd", func(t *testing.T) { s(t, kddBackend(t)) }) }

// copying is an allocator of win-1 keeping a copy of its block (as the
// plugin does on the Kubernetes datastore), on a recording store.
func copying(b *backend, c *clock) (*ipam.Allocator, *recording) {
	rec := &recording{IPAMStore: b.store}
	a := b.alloc("win-1", c)
	a.Store, a.Hint, a.CopyBlock = rec, &memHint{}, true
	return a, rec
}

func testCopyBlock(t *testing.T, b *backend) {
	a, rec, c, _ := startCopying(t, b)
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
	first, _ := a.Addresses(ctx(t), "Calico.c1")
	held[first[0]] = "c1" // c1 claimed the block: its copy and affinity are kept
	block := netip.PrefixFrom(first[0], 26).Masked()

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
	if blocks, _ := rec.since(n); !slices.Contains(blocks, block) {
		t.Errorf("after a stale copy, reads asked for blocks %v, want %s", blocks, block)
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
	if blocks, _ := rec.since(n); slices.Contains(blocks, block) {
		t.Errorf("the release read block %s, which it had a copy of", block)
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

func TestCopyBlock(t *testing.T)            { onMem(t, testCopyBlock) }
func TestCopyBlockIntegration(t *testing.T) { onKDD(t, testCopyBlock) }

// A pendingDeletion affinity (a release that lost to this node's write)
// under a trusted copy is confirmed once the trust runs out, as Calico's
// next assignment confirms it.
func testCopyBlockConfirmsPendingDeletion(t *testing.T, b *backend) {
	a, _, c, first := startCopying(t, b)
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
	onKDD(t, testCopyBlockConfirmsPendingDeletion)
}

// With a copy, the handle is created alongside the first read (ahead.go):
// it ends as a commit would have written it; a repeated assignment finds
// it; a failed one removes it; one that goes elsewhere corrects it.
func testCreateAhead(t *testing.T, b *backend) {
	a, _, _, first := startCopying(t, b)
	handle := func(id string) (datastore.Versioned[datastore.Handle], bool) {
		t.Helper()
		s, err := b.store.Read(ctx(t), datastore.Query{Handles: []string{"Calico." + id}})
		if err != nil {
			t.Fatal(err)
		}
		h, ok := s.Handles["Calico."+id]
		return h, ok
	}
	asg := assign(t, a, "c2", 0)
	if h, ok := handle("c2"); !ok || len(h.Value.Block) != 1 || h.Value.Block[asg.Block.String()] != 1 {
		t.Errorf("handle c2 = %+v (%v), want {%s: 1}", h.Value, ok, asg.Block)
	}
	if again := assign(t, a, "c2", 0); !again.Existing || again.Addr != asg.Addr {
		t.Errorf("repeated assignment of c2: %+v, want the existing %s", again, asg.Addr)
	}

	failing := req("c3")
	failing.Prepare = func(*datastore.Snapshot, *ipam.Request) error { return errTest }
	if _, err := a.Assign(ctx(t), failing, datastore.Query{}); err != errTest {
		t.Fatalf("failing assignment: %v", err)
	}
	if h, ok := handle("c3"); ok {
		t.Errorf("a failed assignment left handle %+v", h.Value)
	}

	// The pod asks for an address of another block.
	want := netip.MustParseAddr("10.0.0.70")
	elsewhere := req("c4")
	elsewhere.Prepare = func(_ *datastore.Snapshot, r *ipam.Request) error { r.IP = want; return nil }
	got, err := a.Assign(ctx(t), elsewhere, datastore.Query{})
	if err != nil || got.Addr != want {
		t.Fatalf("assignment of %s: %+v, %v", want, got, err)
	}
	if h, ok := handle("c4"); !ok || len(h.Value.Block) != 1 || h.Value.Block[got.Block.String()] != 1 {
		t.Errorf("handle c4 = %+v, want only {%s: 1} (not the hinted %s)", h.Value, got.Block, first.Block)
	}
	for _, id := range []string{"c1", "c2", "c4"} {
		release(t, a, id)
		if h, ok := handle(id); ok {
			t.Errorf("handle %s left after its release: %+v", id, h.Value)
		}
	}
}

var errTest = errors.New("the test's Prepare fails")

func TestCreateAhead(t *testing.T)            { onMem(t, testCreateAhead) }
func TestCreateAheadIntegration(t *testing.T) { onKDD(t, testCreateAhead) }
