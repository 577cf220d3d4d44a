package ipam_test

// Calico's IPAM rules where they differ from the simple path (issue 10,
// items 1-6), each on the in-memory store and, as Integration, on etcd and
// the kube-apiserver.

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/ipam"
)

func pool(name, cidr string, blockSize int) datastore.IPPool {
	return datastore.IPPool{Name: name, CIDR: netip.MustParsePrefix(cidr), BlockSize: blockSize}
}

func assign(t *testing.T, a *ipam.Allocator, id string, maxBlocks int) *ipam.Assignment {
	t.Helper()
	r := req(id)
	r.MaxBlocks = maxBlocks
	asg, err := a.Assign(ctx(t), r, datastore.Query{})
	if err != nil {
		t.Fatalf("assign %s: %v", id, err)
	}
	return asg
}

func assignErr(t *testing.T, a *ipam.Allocator, id string, maxBlocks int) error {
	t.Helper()
	r := req(id)
	r.MaxBlocks = maxBlocks
	asg, err := a.Assign(ctx(t), r, datastore.Query{})
	if err == nil {
		t.Fatalf("assign %s: got %s in %s, want an error", id, asg.Addr, asg.Block)
	}
	return err
}

func release(t *testing.T, a *ipam.Allocator, id string) {
	t.Helper()
	if _, err := a.Release(ctx(t), "Calico."+id); err != nil {
		t.Fatalf("release %s: %v", id, err)
	}
}

func affinities(t *testing.T, b *backend, host string) map[netip.Prefix]datastore.Versioned[datastore.Affinity] {
	t.Helper()
	snap, err := b.store.Read(ctx(t), datastore.Query{Affinities: host})
	if err != nil {
		t.Fatal(err)
	}
	out := map[netip.Prefix]datastore.Versioned[datastore.Affinity]{}
	for _, a := range snap.Affinities {
		out[a.Value.CIDR] = a
	}
	return out
}

func block(t *testing.T, b *backend, cidr netip.Prefix) (datastore.Versioned[datastore.Block], bool) {
	t.Helper()
	snap, err := b.store.Read(ctx(t), datastore.Query{Blocks: []netip.Prefix{cidr}})
	if err != nil {
		t.Fatal(err)
	}
	blk, ok := snap.Blocks[cidr]
	return blk, ok
}

func commit(t *testing.T, b *backend, c datastore.Change) {
	t.Helper()
	if err := b.store.Commit(ctx(t), c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// Item 1: the documented migration (disable the old pool, create a new one)
// on a Windows node with windows_use_single_network (a limit of 1 block).
func testPoolMigration(t *testing.T, b *backend) {
	old := pool("old", "10.10.0.0/24", 26)
	b.seed(t, datastore.IPAMConfig{}, old)
	a := b.alloc("win-1", nil)
	first := assign(t, a, "c1", 1)
	old.Disabled = true
	b.pool(t, old)
	b.pool(t, pool("new", "10.20.0.0/24", 26))
	second := assign(t, a, "c2", 1)
	if second.Pool.Name != "new" || !netip.MustParsePrefix("10.20.0.0/24").Contains(second.Addr) {
		t.Fatalf("after the migration got %s in %s (pool %q), want the new pool", second.Addr, second.Block, second.Pool.Name)
	}
	if third := assign(t, a, "c3", 1); third.Block != second.Block {
		t.Errorf("third pod in %s, want %s", third.Block, second.Block)
	}
	// The old block still holds c1 and stays this host's, as in Calico.
	if _, ok := affinities(t, b, "win-1")[first.Block]; !ok {
		t.Errorf("the old pool's block %s lost its affinity while in use", first.Block)
	}
}

func TestPoolMigrationSingleNetwork(t *testing.T)            { onMem(t, testPoolMigration) }
func TestPoolMigrationSingleNetworkIntegration(t *testing.T) { onServers(t, testPoolMigration) }

// Item 1: an empty block whose (enabled) pool no longer selects the node is
// released, after a release (ensureConsistentAffinity) and when a new block
// is needed (prepareAffinityBlocksForHost).
func testPoolNoLongerSelectsNode(t *testing.T, b *backend) {
	p1 := pool("p1", "10.10.0.0/24", 26)
	b.seed(t, datastore.IPAMConfig{}, p1)
	a := b.alloc("win-1", nil)
	blk1 := assign(t, a, "c1", 0).Block
	assign(t, a, "c2", 0)
	release(t, a, "c1")
	if _, ok := block(t, b, blk1); !ok {
		t.Fatal("a block still in use was released")
	}
	p1.NodeSelector = "host == 'win-2'"
	b.pool(t, p1)
	p2 := pool("p2", "10.20.0.0/24", 26)
	p2.NodeSelector = "host == 'win-1'"
	b.pool(t, p2)
	release(t, a, "c2") // empties blk1, whose pool no longer selects win-1
	if _, ok := block(t, b, blk1); ok {
		t.Errorf("emptied block %s of a pool that no longer selects the node was kept", blk1)
	}
	if _, ok := affinities(t, b, "win-1")[blk1]; ok {
		t.Errorf("its affinity was kept")
	}

	// An empty block left behind (the selector changed after it emptied)
	// goes when the node next needs a block.
	p1.NodeSelector = "all()"
	b.pool(t, p1)
	p2.Disabled = true
	b.pool(t, p2)
	c3 := assign(t, a, "c3", 0)
	release(t, a, "c3")
	p1.NodeSelector = "host == 'win-2'"
	b.pool(t, p1)
	p2.Disabled = false
	b.pool(t, p2)
	c4 := assign(t, a, "c4", 1)
	if !netip.MustParsePrefix("10.20.0.0/24").Contains(c4.Addr) {
		t.Fatalf("c4 got %s, want pool p2", c4.Addr)
	}
	if _, ok := block(t, b, c3.Block); ok {
		t.Errorf("empty block %s of a pool that no longer selects the node was kept when a new block was claimed", c3.Block)
	}
}

func TestPoolNoLongerSelectsNode(t *testing.T)            { onMem(t, testPoolNoLongerSelectsNode) }
func TestPoolNoLongerSelectsNodeIntegration(t *testing.T) { onServers(t, testPoolNoLongerSelectsNode) }

// Item 2: a pendingDeletion affinity of this host (a release that did not
// finish) is confirmed and used; it counts towards the limit.
func testPendingDeletionAffinity(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	a := b.alloc("win-1", nil)
	blk := assign(t, a, "c1", 1).Block
	af := affinities(t, b, "win-1")[blk]
	pd := af.Value
	pd.State = datastore.AffinityPendingDeletion
	commit(t, b, datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Update, Value: pd, Rev: af.Rev}}})

	if got := assign(t, a, "c2", 1); got.Block != blk {
		t.Fatalf("c2 in %s, want the pendingDeletion affinity's block %s", got.Block, blk)
	}
	affs := affinities(t, b, "win-1")
	if len(affs) != 1 || affs[blk].Value.State != datastore.AffinityConfirmed {
		t.Errorf("affinities after use: %+v, want %s confirmed only", affs, blk)
	}
}

// The same on the hinted path, which reads only the hinted block and its
// affinity.
func testPendingDeletionAffinityHinted(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	a := b.alloc("win-1", nil)
	a.Hint = &memHint{}
	blk := assign(t, a, "c1", 1).Block
	af := affinities(t, b, "win-1")[blk]
	pd := af.Value
	pd.State = datastore.AffinityPendingDeletion
	commit(t, b, datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Update, Value: pd, Rev: af.Rev}}})
	if got := assign(t, a, "c2", 1); got.Block != blk {
		t.Fatalf("c2 in %s, want the hinted block %s", got.Block, blk)
	}
	if affs := affinities(t, b, "win-1"); len(affs) != 1 || affs[blk].Value.State != datastore.AffinityConfirmed {
		t.Errorf("affinities after a hinted assignment: %+v, want %s confirmed only", affs, blk)
	}
}

func TestPendingDeletionAffinityHinted(t *testing.T) { onMem(t, testPendingDeletionAffinityHinted) }
func TestPendingDeletionAffinityHintedIntegration(t *testing.T) {
	onServers(t, testPendingDeletionAffinityHinted)
}

func TestPendingDeletionAffinity(t *testing.T)            { onMem(t, testPendingDeletionAffinity) }
func TestPendingDeletionAffinityIntegration(t *testing.T) { onServers(t, testPendingDeletionAffinity) }

// Item 2: an affinity of this host whose block belongs to another host is
// deleted and does not count towards the limit.
func testStaleAffinity(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	other := assign(t, b.alloc("win-2", nil), "remote", 0).Block
	commit(t, b, datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create,
		Value: datastore.Affinity{Host: "win-1", CIDR: other, State: datastore.AffinityConfirmed}}}})
	got := assign(t, b.alloc("win-1", nil), "c1", 1)
	if got.Block == other {
		t.Fatalf("allocated from another host's block %s", other)
	}
	affs := affinities(t, b, "win-1")
	if _, ok := affs[other]; ok || len(affs) != 1 {
		t.Errorf("affinities of win-1: %+v, want only %s", affs, got.Block)
	}
}

func TestStaleAffinity(t *testing.T)            { onMem(t, testStaleAffinity) }
func TestStaleAffinityIntegration(t *testing.T) { onServers(t, testStaleAffinity) }

// Item 3: with no unclaimed block left, an empty block of another host,
// claimed at least EmptyBlockMinReclaimAge ago, is reclaimed.
func testReclaimEmptyBlock(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("small", "10.0.0.0/28", 29)) // two blocks
	clk := &clock{t: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)}
	w2, w3 := b.alloc("win-2", clk), b.alloc("win-3", clk)
	empty := assign(t, w2, "a", 0).Block
	busy := assign(t, w3, "b", 0).Block
	release(t, w2, "a") // empty: only the Windows reservations are left

	w1 := b.alloc("win-1", clk)
	clk.advance(30 * time.Second)
	if err := assignErr(t, w1, "c1", 0); !errors.Is(err, ipam.ErrNoFreeBlocks) {
		t.Fatalf("a block emptied 30 s after its claim: %v, want ErrNoFreeBlocks", err)
	}
	clk.advance(ipam.EmptyBlockMinReclaimAge)
	got := assign(t, w1, "c1", 0)
	if got.Block != empty {
		t.Fatalf("got %s in %s, want the reclaimed empty block %s (not the busy %s)", got.Addr, got.Block, empty, busy)
	}
	if _, ok := affinities(t, b, "win-2")[empty]; ok {
		t.Error("the old owner's affinity was kept")
	}
	if af, ok := affinities(t, b, "win-1")[empty]; !ok || af.Value.State != datastore.AffinityConfirmed {
		t.Errorf("win-1's affinity to %s: %+v", empty, af)
	}
	if blk, _ := block(t, b, busy); blk.Value.Affinity == nil || *blk.Value.Affinity != "host:win-3" {
		t.Errorf("the busy block changed hands: %+v", blk.Value.Affinity)
	}
}

func TestReclaimEmptyBlock(t *testing.T)            { onMem(t, testReclaimEmptyBlock) }
func TestReclaimEmptyBlockIntegration(t *testing.T) { onServers(t, testReclaimEmptyBlock) }

// Item 4: blocks IPReservations cover wholly are skipped; reservations
// that leave no address are "exhausted", not an invalid request.
func testWhollyReservedBlocks(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/26", 28))
	first := ipam.Candidates(netip.MustParsePrefix("10.0.0.0/26"), 28, "win-1", 1)[0]
	b.reserve(t, "first-block", []string{first.String()})
	a := b.alloc("win-1", nil)
	got := assign(t, a, "c1", 0)
	if got.Block == first {
		t.Fatalf("claimed the wholly reserved block %s", first)
	}
	release(t, a, "c1")
	// Every address of the pool reserved: exhausted (CNI code 103).
	b.reserve(t, "everything", []string{"10.0.0.0/26"})
	if err := assignErr(t, a, "c2", 0); !errors.Is(err, ipam.ErrNoFreeBlocks) {
		t.Errorf("all reserved: %v, want ErrNoFreeBlocks", err)
	}
}

func TestWhollyReservedBlocks(t *testing.T)            { onMem(t, testWhollyReservedBlocks) }
func TestWhollyReservedBlocksIntegration(t *testing.T) { onServers(t, testWhollyReservedBlocks) }

// Item 4 / issue 13 item 6: reservations covering every address the Windows
// reservations leave in the only block: exhausted, not "block is full".
func TestReservationsCoverEveryFreeAddress(t *testing.T) {
	b := memBackend(t)
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/28", 28))
	b.reserve(t, "pods", []string{"10.0.0.3", "10.0.0.4/30", "10.0.0.8/30", "10.0.0.12/31", "10.0.0.14"})
	err := assignErr(t, b.alloc("win-1", nil), "c1", 0)
	if !errors.Is(err, ipam.ErrNoFreeBlocks) || errors.Is(err, ipam.ErrInvalidRequest) {
		t.Fatalf("err = %v, want ErrNoFreeBlocks", err)
	}
}

// Item 6: a released address stays unusable for ipCooldownSeconds.
func testIPCooldown(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{IPCooldownSeconds: 60}, pool("p", "10.0.0.0/29", 29)) // .3-.6
	clk := &clock{t: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)}
	a := b.alloc("win-1", clk)
	c1 := assign(t, a, "c1", 0)
	release(t, a, "c1")
	blk, _ := block(t, b, c1.Block)
	if n := countReleased(blk.Value); n != 1 {
		t.Fatalf("%d addresses in cooldown after the release, want 1: %+v", n, blk.Value.Attributes)
	}
	for _, id := range []string{"c2", "c3", "c4"} {
		if got := assign(t, a, id, 0); got.Addr == c1.Addr {
			t.Fatalf("%s got %s, released %s ago", id, got.Addr, "0s")
		}
	}
	clk.advance(59 * time.Second)
	if err := assignErr(t, a, "c5", 0); !errors.Is(err, ipam.ErrNoFreeBlocks) {
		t.Fatalf("during the cooldown: %v, want ErrNoFreeBlocks", err)
	}
	clk.advance(2 * time.Second)
	if got := assign(t, a, "c5", 0); got.Addr != c1.Addr {
		t.Fatalf("after the cooldown got %s, want %s", got.Addr, c1.Addr)
	}
	if blk, _ := block(t, b, c1.Block); countReleased(blk.Value) != 0 {
		t.Errorf("expired cooldown entry kept: %+v", blk.Value.Attributes)
	}
}

func TestIPCooldown(t *testing.T)            { onMem(t, testIPCooldown) }
func TestIPCooldownIntegration(t *testing.T) { onServers(t, testIPCooldown) }

// Item 6: a cooldown entry another Calico component left is collected when
// the block is next written, and its address is used again.
func testForeignCooldownEntry(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/29", 29))
	clk := &clock{t: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)}
	a := b.alloc("win-1", clk)
	c1 := assign(t, a, "c1", 0) // .3
	blk, _ := block(t, b, c1.Block)
	v := blk.Value
	v.Attributes = append(v.Attributes, datastore.Attribute{ReleasedAt: &datastore.ClaimTime{Time: clk.t.Add(-time.Hour)}})
	idx := len(v.Attributes) - 1
	v.Allocations[4] = &idx // .4 in cooldown, as Calico's release leaves it
	v.Unallocated = slices.DeleteFunc(v.Unallocated, func(o int) bool { return o == 4 })
	commit(t, b, datastore.Change{Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: v, Rev: blk.Rev}}})

	seen := map[netip.Addr]bool{}
	for _, id := range []string{"c2", "c3", "c4"} {
		seen[assign(t, a, id, 0).Addr] = true
	}
	if !seen[netip.MustParseAddr("10.0.0.4")] {
		t.Errorf("the expired cooldown address was not used again: got %v", seen)
	}
	if blk, _ := block(t, b, c1.Block); countReleased(blk.Value) != 0 {
		t.Errorf("the expired cooldown entry is still in the block: %+v", blk.Value.Attributes)
	}
}

func TestForeignCooldownEntry(t *testing.T)            { onMem(t, testForeignCooldownEntry) }
func TestForeignCooldownEntryIntegration(t *testing.T) { onServers(t, testForeignCooldownEntry) }

func countReleased(b datastore.Block) int {
	n := 0
	for _, ai := range b.Allocations {
		if ai != nil && *ai < len(b.Attributes) && b.Attributes[*ai].ReleasedAt != nil {
			n++
		}
	}
	return n
}

// Ready (STATUS) serves any pod: a pool with a namespace selector counts,
// although no namespace's labels are known.
func TestReadyWithNamespaceSelectorPool(t *testing.T) {
	b := memBackend(t)
	p := pool("team-a", "10.0.0.0/24", 26)
	p.NamespaceSelector = "team == 'a'"
	b.seed(t, datastore.IPAMConfig{}, p)
	if err := b.alloc("win-1", nil).Ready(ctx(t), nil); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

// Item 6 on the DEL path: ReleaseRead from the caller's snapshot applies
// the cooldown whether or not that snapshot holds the config.
func TestReleaseReadAppliesCooldown(t *testing.T) {
	for _, withConfig := range []bool{true, false} {
		b := memBackend(t)
		b.seed(t, datastore.IPAMConfig{IPCooldownSeconds: 60}, pool("p", "10.0.0.0/24", 26))
		a := b.alloc("win-1", nil)
		asg := assign(t, a, "c1", 0)
		snap, err := b.store.Read(ctx(t), datastore.Query{Handles: []string{"Calico.c1"}, Blocks: []netip.Prefix{asg.Block}, Config: withConfig})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.ReleaseRead(ctx(t), snap, "Calico.c1"); err != nil {
			t.Fatal(err)
		}
		if blk, _ := block(t, b, asg.Block); countReleased(blk.Value) != 1 {
			t.Errorf("config in the snapshot %v: %d addresses in cooldown, want 1", withConfig, countReleased(blk.Value))
		}
	}
}

// A block whose affinity field names this host but whose affinity object is
// gone (deleted by hand) is adopted, as Calico's findUsableBlock does, when
// the walk meets it before an unclaimed CIDR: the next address comes from
// it and its affinity is back, confirmed; no new block is claimed.
func testAdoptOrphan(t *testing.T, b *backend) {
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	a := b.alloc("win-1", nil)
	first := assign(t, a, "c1", 0)
	snap, err := b.store.Read(ctx(t), datastore.Query{Affinities: "win-1"})
	if err != nil || len(snap.Affinities) != 1 {
		t.Fatalf("affinities %+v, %v", snap, err)
	}
	af := snap.Affinities[0]
	if err := b.store.Commit(ctx(t), datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Delete, Value: af.Value, Rev: af.Rev}}}); err != nil {
		t.Fatal(err)
	}
	next := assign(t, a, "c2", 0)
	if next.Block != first.Block {
		t.Errorf("c2 got %s in %s, want the orphaned block %s adopted", next.Addr, next.Block, first.Block)
	}
	after, err := b.store.Read(ctx(t), datastore.Query{Affinities: "win-1", AllBlocks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Affinities) != 1 || after.Affinities[0].Value.CIDR != first.Block || after.Affinities[0].Value.State != datastore.AffinityConfirmed {
		t.Errorf("affinities after the adoption: %+v, want %s confirmed", after.Affinities, first.Block)
	}
	if len(after.Blocks) != 1 {
		t.Errorf("%d blocks after the adoption, want 1", len(after.Blocks))
	}
	release(t, a, "c1")
	release(t, a, "c2")
}

func TestAdoptOrphan(t *testing.T)            { onMem(t, testAdoptOrphan) }
func TestAdoptOrphanIntegration(t *testing.T) { onServers(t, testAdoptOrphan) }
