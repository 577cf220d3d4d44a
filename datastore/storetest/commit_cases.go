package storetest

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
)

// seedIPAM commits one block with one allocation, its handle and its
// affinity, and returns them as read back.
func seedIPAM(t *testing.T, s datastore.Store) *datastore.Snapshot {
	t.Helper()
	b := newBlock(blockA, "node1")
	allocate(&b, "k8s-pod-network.c1")
	commit(t, s, datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{create(confirmed("node1", blockA))},
		Handles:    []datastore.Write[datastore.Handle]{create(newHandle("k8s-pod-network.c1", map[string]int{blockA.String(): 1}))},
		Blocks:     []datastore.Write[datastore.Block]{create(b)},
	})
	return readIPAM(t, s)
}

func readIPAM(t *testing.T, s datastore.Store) *datastore.Snapshot {
	t.Helper()
	return read(t, s, datastore.Query{
		Affinities: "node1", Handles: []string{"k8s-pod-network.c1"}, Blocks: []netip.Prefix{blockA},
	})
}

func testCommitCreate(t *testing.T, s datastore.Store, _ Seeder) {
	b := newBlock(blockA, "node1")
	allocate(&b, "k8s-pod-network.c1")
	h := newHandle("k8s-pod-network.c1", map[string]int{blockA.String(): 1})
	snap := seedIPAM(t, s)

	gotB, ok := snap.Blocks[blockA]
	if !ok || gotB.Rev == "" {
		t.Fatalf("block %s not read back with a Rev: %+v", blockA, snap.Blocks)
	}
	SameJSON(t, "block", gotB.Value, b)
	gotH, ok := snap.Handles[h.HandleID]
	if !ok || gotH.Rev == "" || gotH.Value.HandleID != h.HandleID {
		t.Fatalf("handle not read back with its ID and a Rev: %+v", snap.Handles)
	}
	SameJSON(t, "handle", gotH.Value, h)
	if len(snap.Affinities) != 1 || snap.Affinities[0].Value != confirmed("node1", blockA) || snap.Affinities[0].Rev == "" {
		t.Errorf("affinities = %+v, want one confirmed for %s with a Rev", snap.Affinities, blockA)
	}
}

func testCommitUpdate(t *testing.T, s datastore.Store, _ Seeder) {
	snap := seedIPAM(t, s)
	b := cloneBlock(t, snap.Blocks[blockA])
	allocate(&b.Value, "k8s-pod-network.c2")
	h := cloneHandle(snap.Handles["k8s-pod-network.c1"])
	h.Value.Block[blockA.String()] = 2
	commit(t, s, datastore.Change{
		Handles: []datastore.Write[datastore.Handle]{update(h.Value, h.Rev)},
		Blocks:  []datastore.Write[datastore.Block]{update(b.Value, b.Rev)},
	})
	after := readIPAM(t, s)
	SameJSON(t, "updated block", after.Blocks[blockA].Value, b.Value)
	SameJSON(t, "updated handle", after.Handles[h.Value.HandleID].Value, h.Value)
	if after.Blocks[blockA].Rev == b.Rev || after.Handles[h.Value.HandleID].Rev == h.Rev {
		t.Errorf("Rev did not change on update: block %s -> %s, handle %s -> %s",
			b.Rev, after.Blocks[blockA].Rev, h.Rev, after.Handles[h.Value.HandleID].Rev)
	}
}

func testCommitStale(t *testing.T, s datastore.Store, _ Seeder) {
	snap := seedIPAM(t, s)
	first := cloneBlock(t, snap.Blocks[blockA])
	allocate(&first.Value, "k8s-pod-network.c2")
	commit(t, s, datastore.Change{Blocks: []datastore.Write[datastore.Block]{update(first.Value, first.Rev)}})

	stale := cloneBlock(t, snap.Blocks[blockA]) // a writer that read before the first wrote
	allocate(&stale.Value, "k8s-pod-network.c3")
	err := s.Commit(ctx(t), datastore.Change{Blocks: []datastore.Write[datastore.Block]{update(stale.Value, stale.Rev)}})
	wantErr(t, "update at a stale Rev", err, datastore.ErrConflict)
	SameJSON(t, "block after the lost update", readIPAM(t, s).Blocks[blockA].Value, first.Value)

	aff := snap.Affinities[0]
	err = s.Commit(ctx(t), datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{remove(aff.Value, "1")}})
	wantErr(t, "delete at a stale Rev", err, datastore.ErrConflict)
	if len(readIPAM(t, s).Affinities) != 1 {
		t.Errorf("affinity deleted by a compare-and-delete that lost")
	}
}

func testCommitCreateExisting(t *testing.T, s datastore.Store, _ Seeder) {
	snap := seedIPAM(t, s)
	for _, tc := range []struct {
		name string
		c    datastore.Change
	}{
		{"affinity", datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{create(confirmed("node1", blockA))}}},
		{"handle", datastore.Change{Handles: []datastore.Write[datastore.Handle]{create(snap.Handles["k8s-pod-network.c1"].Value)}}},
		{"block", datastore.Change{Blocks: []datastore.Write[datastore.Block]{create(newBlock(blockA, "node2"))}}},
	} {
		err := s.Commit(ctx(t), tc.c)
		wantErr(t, "create of an existing "+tc.name, err, datastore.ErrExists)
	}
	SameJSON(t, "block after failed creates", readIPAM(t, s).Blocks[blockA].Value, snap.Blocks[blockA].Value)
}

func testCommitMissing(t *testing.T, s datastore.Store, _ Seeder) {
	snap := seedIPAM(t, s)
	h := snap.Handles["k8s-pod-network.c1"]
	commit(t, s, datastore.Change{Handles: []datastore.Write[datastore.Handle]{remove(h.Value, h.Rev)}})
	for _, tc := range []struct {
		name string
		w    datastore.Write[datastore.Handle]
	}{
		{"update", update(h.Value, h.Rev)},
		{"delete", remove(h.Value, h.Rev)},
	} {
		err := s.Commit(ctx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{tc.w}})
		wantErr(t, tc.name+" of a deleted handle", err, datastore.ErrNotFound)
	}
}

func testCommitDelete(t *testing.T, s datastore.Store, _ Seeder) {
	snap := seedIPAM(t, s)
	b, h, a := snap.Blocks[blockA], snap.Handles["k8s-pod-network.c1"], snap.Affinities[0]
	commit(t, s, datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{remove(a.Value, a.Rev)},
		Handles:    []datastore.Write[datastore.Handle]{remove(h.Value, h.Rev)},
		Blocks:     []datastore.Write[datastore.Block]{remove(b.Value, b.Rev)},
	})
	after := readIPAM(t, s)
	if len(after.Affinities)+len(after.Handles)+len(after.Blocks) != 0 {
		t.Errorf("objects left after delete: %+v", after)
	}
}

func testCommitEmpty(t *testing.T, s datastore.Store, _ Seeder) {
	if err := s.Commit(ctx(t), datastore.Change{}); err != nil {
		t.Errorf("empty Commit: %v", err)
	}
}

// testCommitAtomic: one good write and one lost compare-and-swap in the
// same Change write nothing.
func testCommitAtomic(t *testing.T, s datastore.Store, seed Seeder) {
	if !seed.Capabilities().AtomicChanges {
		t.Skip("backend does not apply a Change atomically (Capabilities.AtomicChanges is false)")
	}
	snap := seedIPAM(t, s)
	h := cloneHandle(snap.Handles["k8s-pod-network.c1"])
	h.Value.Block[blockA.String()] = 5
	commit(t, s, datastore.Change{Handles: []datastore.Write[datastore.Handle]{update(h.Value, h.Rev)}})

	b := cloneBlock(t, snap.Blocks[blockA])
	allocate(&b.Value, "k8s-pod-network.c2")
	err := s.Commit(ctx(t), datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{create(confirmed("node1", blockB))},
		Handles:    []datastore.Write[datastore.Handle]{update(h.Value, h.Rev)}, // stale
		Blocks:     []datastore.Write[datastore.Block]{update(b.Value, b.Rev)},
	})
	wantErr(t, "Change with one stale write", err, datastore.ErrConflict)
	after := readIPAM(t, s)
	if len(after.Affinities) != 1 {
		t.Errorf("the new affinity was written by a failed Change: %+v", after.Affinities)
	}
	SameJSON(t, "block after failed Change", after.Blocks[blockA].Value, snap.Blocks[blockA].Value)
}

// testCommitWritten: a Change's Written gets the blocks it created or
// updated exactly as a Read then finds them (value and revision), and a
// further update at that revision succeeds: a caller may keep that copy
// instead of reading the block again. A backend may leave a block out.
func testCommitWritten(t *testing.T, s datastore.Store, _ Seeder) {
	b := newBlock(blockA, "node1")
	allocate(&b, "k8s-pod-network.c1")
	created := map[netip.Prefix]datastore.Versioned[datastore.Block]{}
	commit(t, s, datastore.Change{
		Handles: []datastore.Write[datastore.Handle]{create(newHandle("k8s-pod-network.c1", map[string]int{blockA.String(): 1}))},
		Blocks:  []datastore.Write[datastore.Block]{create(b)},
		Written: created,
	})
	check := func(what string, written map[netip.Prefix]datastore.Versioned[datastore.Block]) (datastore.Versioned[datastore.Block], bool) {
		t.Helper()
		w, ok := written[blockA]
		if !ok {
			t.Logf("%s: this backend does not report written blocks", what)
			return w, false
		}
		got := read(t, s, datastore.Query{Blocks: []netip.Prefix{blockA}}).Blocks[blockA]
		if w.Rev != got.Rev {
			t.Errorf("%s: Written has revision %q, a Read finds %q", what, w.Rev, got.Rev)
		}
		SameJSON(t, what, w.Value, got.Value)
		return w, true
	}
	w, ok := check("created block", created)
	if !ok {
		return
	}
	allocate(&w.Value, "k8s-pod-network.c2")
	updated := map[netip.Prefix]datastore.Versioned[datastore.Block]{}
	commit(t, s, datastore.Change{Blocks: []datastore.Write[datastore.Block]{update(w.Value, w.Rev)}, Written: updated})
	check("updated block", updated)
}
