package ipam

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/datastore"
)

// A killed ADD's last write may still be on its way to the datastore when
// the runtime's DEL runs: the DEL finds no handle, then the write lands and
// the address stays with a dead container. Every such write that allocates
// in an existing block compares on the revision of the block it read, so a
// DEL that finds nothing rewrites this host's blocks (a fence): a write
// still in flight then loses its compare-and-swap. A fence that conflicts
// means a block changed since the DEL's read, maybe by that very write, so
// the DEL reads again and releases what it now finds.
//
// Not fenced: a late write that claims a new block. It compares only on the
// absence of the block, handle and affinity it creates, which a DEL cannot
// know in advance; the runtime's CNI GC (cni.dev/valid-attachments)
// collects such an allocation.

// fence is the release of handles none of which snap holds: it writes
// every block of this host (its affinities, and the blocks snap read that
// are this host's) with its sequence number bumped, each on the revision
// read in one snapshot with the handles. If the handles exist by then, it
// releases them instead. A lost compare-and-swap returns ErrConflict (the
// caller reads again).
func (a *Allocator) fence(ctx context.Context, snap *datastore.Snapshot, handles []string) ([]netip.Addr, error) {
	s, err := a.Store.Read(ctx, datastore.Query{Affinities: a.Host})
	if err != nil {
		return nil, err
	}
	var cidrs []netip.Prefix
	for _, af := range s.Affinities {
		cidrs = append(cidrs, af.Value.CIDR)
	}
	for c, b := range snap.Blocks {
		if hostOf(&b.Value) == a.Host {
			cidrs = append(cidrs, c)
		}
	}
	cidrs = uniq(cidrs)
	if len(cidrs) == 0 {
		return nil, nil
	}
	if !allIn(cidrs, snap.Blocks) {
		// The handles again, with the blocks, at one revision.
		q := datastore.Query{Handles: handles, Blocks: cidrs, Config: true, Pools: true, Node: a.Host}
		if snap, err = a.Store.Read(ctx, q); err != nil {
			return nil, err
		}
		if len(snap.Handles) > 0 {
			return a.releaseOnce(ctx, snap, handles)
		}
	}
	var ws []datastore.Write[datastore.Block]
	for _, cidr := range cidrs { // sorted by uniq
		if b, ok := snap.Blocks[cidr]; ok { // else an affinity whose block is not written yet
			ws = append(ws, fenceWrite(b))
		}
	}
	// Each block's fence stands alone, so a host with more blocks than one
	// transaction may write is fenced in several.
	for batch := range slices.Chunk(ws, gcBatch) {
		if err := a.commit(ctx, datastore.Change{Blocks: batch}); err != nil {
			return nil, err
		}
	}
	slog.Info("no handle to release: fenced this host's blocks against a late allocation", "handles", handles, "blocks", cidrs)
	return nil, nil
}

// fenceWrite rewrites b unchanged but for its sequence number, which Calico
// bumps on every block write: the write changes the block's revision on
// every backend (the Kubernetes API server keeps the resourceVersion of an
// identical update).
func fenceWrite(b datastore.Versioned[datastore.Block]) datastore.Write[datastore.Block] {
	blk := cloneBlock(b.Value)
	blk.SequenceNumber++
	return datastore.Write[datastore.Block]{Op: datastore.Update, Value: blk, Rev: b.Rev}
}

func allIn(cidrs []netip.Prefix, m map[netip.Prefix]datastore.Versioned[datastore.Block]) bool {
	for _, c := range cidrs {
		if _, ok := m[c]; !ok {
			return false
		}
	}
	return true
}
