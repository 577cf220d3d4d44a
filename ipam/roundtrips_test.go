package ipam_test

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/memstore"
	"github.com/calico-win/cni/ipam"
)

// The round-trip budget on the in-memory store (each Read, BlocksExist and
// Commit is one etcd round trip): the parity checks stay off the steady
// state. TestRoundTripsIntegration checks the same on etcd.
func TestRoundTripBudget(t *testing.T) {
	b := memBackend(t)
	st := b.store.(*memstore.Store)
	b.seed(t, datastore.IPAMConfig{IPCooldownSeconds: 30}, pool("p", "10.0.0.0/24", 26))
	a := b.alloc("win-1", nil)
	hinted := b.alloc("win-1", nil)
	hinted.Hint = &memHint{}
	assign(t, a, "warm", 0)
	for _, tc := range []struct {
		name string
		run  func()
		want int64
	}{
		{"assign without a hint", func() { assign(t, a, "c1", 0) }, 3},
		{"first hinted assign (hint empty)", func() { assign(t, hinted, "c2", 0) }, 3},
		{"steady-state hinted assign", func() { assign(t, hinted, "c3", 0) }, 2},
		{"release leaving the block in use", func() { release(t, a, "c1") }, 3},
		// A release that finds no handle fences this host's blocks: the
		// read, this host's affinities, the handles again with the blocks,
		// the fence. With the blocks in the caller's read, 2 more.
		{"release of a missing handle", func() { release(t, a, "gone") }, 4},
		{"release of a missing handle, the host's blocks read", func() { releaseRead(t, a, "gone", hinted.Hint.Load().CIDR) }, 3},
	} {
		before := st.RoundTrips()
		tc.run()
		if n := st.RoundTrips() - before; n != tc.want {
			t.Errorf("%s: %d round trips, want %d", tc.name, n, tc.want)
		}
	}
	// A release that empties the block decides on what it read: no more.
	b2 := memBackend(t)
	st2 := b2.store.(*memstore.Store)
	b2.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	a2 := b2.alloc("win-1", nil)
	assign(t, a2, "only", 0)
	before := st2.RoundTrips()
	release(t, a2, "only")
	if n := st2.RoundTrips() - before; n != 3 {
		t.Errorf("release emptying the block: %d round trips, want 3", n)
	}
}

// releaseRead is a DEL's release: one read of the handle and the hinted
// block, then ReleaseRead.
func releaseRead(t *testing.T, a *ipam.Allocator, id string, hint netip.Prefix) {
	t.Helper()
	h := "Calico." + id
	snap, err := a.Store.Read(ctx(t), datastore.Query{Handles: []string{h}, Config: true, Pools: true, Node: a.Host, Blocks: []netip.Prefix{hint}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ReleaseRead(ctx(t), snap, h); err != nil {
		t.Fatalf("release %s: %v", id, err)
	}
}
