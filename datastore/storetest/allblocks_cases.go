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
	{"ReadAffinitiesByCIDR", testReadAffinitiesByCIDR},
}

// testReadAffinitiesByCIDR: AffinityCIDRs narrows a host's affinities to
// those blocks (absent ones are absent), with their Revs.
func testReadAffinitiesByCIDR(t *testing.T, s datastore.Store, _ Seeder) {
	pending := confirmed("node1", blockB)
	pending.State = datastore.AffinityPendingDeletion
	commit(t, s, datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{
		create(confirmed("node1", blockA)), create(pending), create(confirmed("node10", blockC)),
	}})
	got := read(t, s, datastore.Query{Affinities: "node1", AffinityCIDRs: []netip.Prefix{blockB, blockC}}).Affinities
	if len(got) != 1 || got[0].Value != pending || got[0].Rev == "" {
		t.Fatalf("Affinities(node1, [%s %s]) = %+v, want only %+v with a Rev", blockB, blockC, got, pending)
	}
	if got := read(t, s, datastore.Query{Affinities: "node10", AffinityCIDRs: []netip.Prefix{blockA}}).Affinities; len(got) != 0 {
		t.Errorf("another host's affinity returned: %+v", got)
	}
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
		SameJSON(t, "block "+want.CIDR.String(), b.Value, want)
	}
	// The Rev read this way guards an update like any other.
	upd := cloneBlock(t, got[blockA])
	allocate(&upd.Value, "k8s-pod-network.c2")
	commit(t, s, datastore.Change{Blocks: []datastore.Write[datastore.Block]{update(upd.Value, upd.Rev)}})
}
