package ipam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/datastore"
)

// Release frees every address of the given handles and deletes the handles,
// in one Change: a handle never outlives its addresses, nor an address its
// handle. Missing handles are not an error (DEL is idempotent). A block left
// empty and without affinity is deleted. Unlike Calico, release does not
// require strict affinity: freeing is always safe, and a DEL must not fail
// because the IPAM configuration changed. It returns the freed addresses.
//
// When none of the handles exists, Release fences this host's blocks
// against an allocation still on its way (fence.go).
func (a *Allocator) Release(ctx context.Context, handles ...string) ([]netip.Addr, error) {
	return a.ReleaseRead(ctx, nil, handles...)
}

// ReleaseRead is Release starting from handles (and blocks) the caller has
// already read (snap, from a Read of its own that asked for them and for
// Config, whose ipCooldownSeconds applies), saving round trips; after a
// lost compare-and-swap it reads them again.
func (a *Allocator) ReleaseRead(ctx context.Context, snap *datastore.Snapshot, handles ...string) ([]netip.Addr, error) {
	end, err := a.session(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		freed, err := a.releaseOnce(ctx, snap, handles)
		if errors.Is(err, datastore.ErrConflict) || errors.Is(err, datastore.ErrNotFound) {
			snap = nil
			continue
		}
		return freed, err
	}
	return nil, fmt.Errorf("releasing %v: %w after %d attempts", handles, datastore.ErrConflict, maxAttempts)
}

func (a *Allocator) releaseOnce(ctx context.Context, snap *datastore.Snapshot, handles []string) ([]netip.Addr, error) {
	// A caller's snapshot without Config may simply not have asked for it:
	// it is read with the blocks, so that ipCooldownSeconds is never
	// skipped (a cluster Windows nodes work in always has the object).
	needConfig := snap != nil && snap.Config == nil
	if snap == nil {
		var err error
		q := datastore.Query{Handles: handles, Config: true, Pools: true, Node: a.Host}
		if snap, err = a.Store.Read(ctx, q); err != nil {
			return nil, err
		}
	}
	if len(snap.Handles) == 0 {
		return a.fence(ctx, snap, handles)
	}
	var cidrs []netip.Prefix
	for _, h := range snap.Handles {
		for c := range h.Value.Block {
			if pfx, err := netip.ParsePrefix(c); err == nil {
				cidrs = append(cidrs, pfx)
			}
		}
	}
	// Blocks the caller's read already holds (the hinted one, usually) are
	// not read again.
	blocks := map[netip.Prefix]datastore.Versioned[datastore.Block]{}
	var missing []netip.Prefix
	for _, c := range uniq(cidrs) {
		if b, ok := snap.Blocks[c]; ok {
			blocks[c] = b
		} else if b, ok := a.blockCopy(c); ok {
			blocks[c] = b // a stale copy fails the write, and the retry reads
		} else {
			missing = append(missing, c)
		}
	}
	cfg := snap.Config
	if len(missing) > 0 || needConfig {
		s2, err := a.Store.Read(ctx, datastore.Query{Blocks: missing, Config: needConfig})
		if err != nil {
			return nil, err
		}
		maps.Copy(blocks, s2.Blocks)
		if needConfig {
			cfg = s2.Config
		}
	}
	cooldown := 0 // no IPAMConfig object: Calico's default
	if cfg != nil {
		cooldown = cfg.IPCooldownSeconds
	}
	now := a.now()
	var c datastore.Change
	var freed []netip.Addr
	var emptied []datastore.Block
	for _, cidr := range slices.SortedFunc(maps.Keys(blocks), func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) }) {
		b := blocks[cidr]
		blk := cloneBlock(b.Value)
		n := 0
		for _, h := range handles {
			if _, ok := snap.Handles[h]; !ok {
				continue
			}
			freed = append(freed, addrsOf(&blk, h)...)
			n += release(&blk, h, now, cooldown)
		}
		switch {
		case n == 0:
			// A handle names the block, which does not hold its address: on
			// the Kubernetes datastore, whose ADD writes the handle before
			// the block, the block's write may still be on its way. Fence it.
			c.Blocks = append(c.Blocks, fenceWrite(b))
		case isEmpty(&blk) && blk.Affinity == nil:
			c.Blocks = append(c.Blocks, datastore.Write[datastore.Block]{Op: datastore.Delete, Value: blk, Rev: b.Rev})
		default:
			c.Blocks = append(c.Blocks, datastore.Write[datastore.Block]{Op: datastore.Update, Value: blk, Rev: b.Rev})
			if isEmpty(&blk) {
				emptied = append(emptied, blk)
			}
		}
	}
	for _, h := range handles {
		if hv, ok := snap.Handles[h]; ok {
			c.Handles = append(c.Handles, datastore.Write[datastore.Handle]{Op: datastore.Delete, Value: hv.Value, Rev: hv.Rev})
		}
	}
	if err := a.commit(ctx, c); err != nil {
		return nil, err
	}
	if len(freed) > 0 {
		slog.Info("released addresses", "handles", handles, "addresses", freed, "cooldownSeconds", cooldown)
	}
	a.ensureConsistentAffinity(ctx, snap, emptied)
	return freed, nil
}

// gcBatch is how many handles one GC change releases: with a block write
// per handle at worst, 2 x 50 writes stay within etcd's default 128
// operations per transaction, and one Kubernetes change stays short.
const gcBatch = 50

// GC releases the handles holding addresses in this host's blocks for which
// collect returns true. It looks only at this host's blocks, so it never
// touches another node's allocations. collect is called once per handle,
// with the attributes of its allocation ("node", "namespace", "pod"); it
// does whatever must come before the release (removing the workload's
// endpoints) and returns false to keep the handle. Handles are released in
// batches of gcBatch, and a failed batch does not stop the others. It
// returns the released handle IDs.
func (a *Allocator) GC(ctx context.Context, collect func(handleID string, attrs map[string]string) bool) ([]string, error) {
	snap, err := a.Store.Read(ctx, datastore.Query{Affinities: a.Host})
	if err != nil {
		return nil, err
	}
	var cidrs []netip.Prefix
	for _, af := range snap.Affinities {
		cidrs = append(cidrs, af.Value.CIDR)
	}
	if len(cidrs) == 0 {
		return nil, nil
	}
	s2, err := a.Store.Read(ctx, datastore.Query{Blocks: cidrs})
	if err != nil {
		return nil, err
	}
	attrs := map[string]map[string]string{}
	for _, b := range s2.Blocks {
		if hostOf(&b.Value) != a.Host {
			continue
		}
		for _, at := range b.Value.Attributes {
			if at.HandleID != nil && *at.HandleID != datastore.WindowsReservedHandle {
				if _, ok := attrs[*at.HandleID]; !ok {
					attrs[*at.HandleID] = at.Secondary
				}
			}
		}
	}
	var stale []string
	for _, h := range slices.Sorted(maps.Keys(attrs)) {
		if collect(h, attrs[h]) {
			stale = append(stale, h)
		}
	}
	var released []string
	var errs []error
	for batch := range slices.Chunk(stale, gcBatch) {
		if _, err := a.Release(ctx, batch...); err != nil {
			errs = append(errs, err)
			continue
		}
		released = append(released, batch...)
	}
	return released, errors.Join(errs...)
}
