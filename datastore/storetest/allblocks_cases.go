package storetest

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
)

// Cases added with the IPAM parity work (issue 10), kept apart from the
// original files so that merges stay easy.
var parityCases = []struct {
	name string
	run  func(t *testing.T, s datastore.Store, seed Seeder)
}{
	{"ReadAllBlocks", testReadAllBlocks},
}

// testReadAllBlocks: Query.AllBlocks returns every IPv4 block, each with
// its Rev, alongside the blocks asked for by CIDR.
func testReadAllBlocks(t *testing.T, s datastore.Store, _ Seeder) {
	if got := read(t, s, datastore.Query{AllBlocks: true}).Blocks; len(got) != 0 {
		t.Fatalf("AllBlocks on an empty datastore = %+v", got)
	}
	a, c := newBlock(blockA, "node1"), newBlock(blockC, "node2")
	allocate(&c, "k8s-pod-network.c1")
	commit(t, s, datastore.Change{Blocks: []datastore.Write[datastore.Block]{create(a), create(c)}})
	got := read(t, s, datastore.Query{AllBlocks: true, Blocks: []netip.Prefix{blockA, blockB}}).Blocks
	if len(got) != 2 {
		t.Fatalf("AllBlocks = %d blocks, want 2: %+v", len(got), got)
	}
	for _, want := range []datastore.Block{a, c} {
		b, ok := got[want.CIDR]
		if !ok || b.Rev == "" {
			t.Fatalf("block %s missing or without a Rev: %+v", want.CIDR, got)
		}
		sameJSON(t, "block "+want.CIDR.String(), b.Value, want)
	}
	// The Rev read this way guards an update like any other.
	upd := cloneBlock(t, got[blockA])
	allocate(&upd.Value, "k8s-pod-network.c2")
	commit(t, s, datastore.Change{Blocks: []datastore.Write[datastore.Block]{update(upd.Value, upd.Rev)}})
}
