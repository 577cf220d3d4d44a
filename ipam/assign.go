package ipam

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/datastore"
)

// autoAssign takes the next free address of this host's blocks, in affinity
// order, or claims a new block, as Calico's autoAssign does: only the
// host's blocks in the pools allowed for this request count towards the
// block limit and serve it (a block of a disabled or other pool neither
// serves nor counts, so a "disable the old pool, create a new one"
// migration works with a limit of 1); an affinity whose block is another
// host's is deleted and not counted; a pending or pendingDeletion
// affinity whose block is still this host's is confirmed and used.
func (a *Allocator) autoAssign(ctx context.Context, p *plan) (*Assignment, error) {
	owned := 0
	for _, af := range p.snap.Affinities {
		cidr := af.Value.CIDR
		pool := poolOf(p.pools, cidr.Addr())
		if pool == nil {
			continue // a block of a pool not allowed for this request
		}
		b, ok := p.blocks[cidr]
		if ok && hostOf(&b.Value) != a.Host {
			slog.Warn("deleting stale affinity: its block belongs to another host", "block", cidr, "owner", hostOf(&b.Value))
			p.cleanup = append(p.cleanup, datastore.Write[datastore.Affinity]{Op: datastore.Delete, Value: af.Value, Rev: af.Rev})
			continue
		}
		owned++
		if p.unusable(cidr) {
			continue // wholly reserved
		}
		if !ok {
			// The affinity outlived its block (a claim interrupted by a
			// crash): recreate the block, as Calico's getBlockFromAffinity does.
			return a.claim(ctx, p, cidr, *pool, &af, nil)
		}
		if freeCount(&b.Value, p.reserved()) == 0 {
			continue
		}
		return a.allocIn(ctx, p, af, b, *pool)
	}
	// A new block is needed: the slow path, where Calico's extra checks go.
	a.releaseUnselected(ctx, p)
	if err := a.mayClaim(p, owned); err != nil {
		return nil, err
	}
	for _, pool := range p.pools {
		cidr, orphan, found, err := a.findFreeBlock(ctx, p, pool)
		if err != nil {
			return nil, err
		}
		if orphan != nil {
			return a.adopt(ctx, p, *orphan, pool)
		}
		if found {
			return a.claim(ctx, p, cidr, pool, nil, nil)
		}
	}
	old, err := a.findReclaimable(ctx, p)
	if err != nil {
		return nil, err
	}
	if old != nil {
		return a.claim(ctx, p, old.block.Value.CIDR, old.pool, nil, old)
	}
	return nil, ErrNoFreeBlocks
}

// allocIn takes the next free address of an affine block with space and
// commits the block and the handle together. An affinity not yet confirmed
// (pending, or pendingDeletion left by a release that did not finish) is
// confirmed in the same write, as Calico's getBlockFromAffinity does.
func (a *Allocator) allocIn(ctx context.Context, p *plan, af datastore.Versioned[datastore.Affinity], b datastore.Versioned[datastore.Block], pool datastore.IPPool) (*Assignment, error) {
	var aw *datastore.Write[datastore.Affinity]
	if af.Rev != "" && af.Value.State != datastore.AffinityConfirmed && af.Value.State != "" {
		confirmed := af.Value
		confirmed.State = datastore.AffinityConfirmed
		aw = &datastore.Write[datastore.Affinity]{Op: datastore.Update, Value: confirmed, Rev: af.Rev}
	}
	return a.allocate(ctx, p, b, pool, aw, af.Rev != "")
}

// allocate takes the next free address of existing block b and commits the
// block, the handle (unless created ahead, ahead.go), the stale affinities'
// deletions and aw, the block's affinity write when it needs one.
// affinitySeen: the affinity was read confirmed, or aw confirms it.
func (a *Allocator) allocate(ctx context.Context, p *plan, b datastore.Versioned[datastore.Block], pool datastore.IPPool, aw *datastore.Write[datastore.Affinity], affinitySeen bool) (*Assignment, error) {
	blk := cloneBlock(b.Value)
	addr, err := allocate(&blk, a.attribute(p.req), nil, p.reserved())
	if err != nil {
		return nil, err
	}
	c := datastore.Change{
		Affinities: slices.Clone(p.cleanup),
		Blocks:     []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk, Rev: b.Rev}},
	}
	if p.handle != nil || !a.hs.ahead.covers(blk.CIDR) {
		c.Handles = []datastore.Write[datastore.Handle]{p.handleWrite(blk.CIDR)}
	}
	if aw != nil {
		c.Affinities = append(c.Affinities, *aw)
	}
	if err := a.commit(ctx, c); err != nil {
		return nil, err
	}
	return &Assignment{Addr: addr, Block: blk.CIDR, Pool: pool, affinitySeen: affinitySeen}, nil
}

// assignFromHint allocates from the hinted block when the first read shows
// it is still this host's (its affinity field), in a selected pool, with
// space; otherwise it returns errHintMiss and the full path runs.
func (a *Allocator) assignFromHint(ctx context.Context, p *plan, hint netip.Prefix) (*Assignment, error) {
	b, found := p.snap.Blocks[hint]
	if !found {
		return nil, errHintMiss
	}
	b = p.collected(b)
	if hostOf(&b.Value) != a.Host || freeCount(&b.Value, p.reserved()) == 0 {
		return nil, errHintMiss
	}
	pool := poolOf(p.pools, hint.Addr())
	if pool == nil {
		return nil, errHintMiss
	}
	// The affinity is confirmed with the write if it is not (a
	// pendingDeletion left by a release that lost to our last write);
	// without one, the full path sorts the block out.
	i := slices.IndexFunc(p.snap.Affinities, func(af datastore.Versioned[datastore.Affinity]) bool { return af.Value.CIDR == hint })
	if i < 0 || (a.hs.ahead != nil && a.hs.ahead.exists) {
		return nil, errHintMiss // (a handle that exists: a repeated ADD, read it)
	}
	p.blocks = map[netip.Prefix]datastore.Versioned[datastore.Block]{hint: b}
	return a.allocIn(ctx, p, p.snap.Affinities[i], b, *pool)
}

// mayClaim checks the per-host block limit and IPAMConfig before a claim.
func (a *Allocator) mayClaim(p *plan, owned int) error {
	limit := p.snap.Config.MaxBlocksPerHost
	if r := p.req.MaxBlocks; r > 0 && (limit == 0 || r < limit) {
		limit = r
	}
	if limit == 0 {
		limit = defaultMaxBlocks
	}
	if owned >= limit {
		return ErrBlockLimit
	}
	if !p.snap.Config.AutoAllocateBlocks {
		return ErrAutoAllocateDisabled
	}
	return nil
}

// findFreeBlock walks the pool's blocks in Calico's order and returns the
// first CIDR with no block object (to claim), checking existence in
// batches: a claim costs a few keys-only reads, not a list of every block
// in the cluster. Blocks that IPReservations leave nothing of are skipped.
// As Calico's findUsableBlock, it returns instead an existing block met
// before that CIDR (orphan) when it is this host's, with a free address,
// and has no affinity (adopt.go).
func (a *Allocator) findFreeBlock(ctx context.Context, p *plan, pool datastore.IPPool) (netip.Prefix, *datastore.Versioned[datastore.Block], bool, error) {
	var batch, existing []netip.Prefix
	var found netip.Prefix
	var ok bool
	var err error
	check := func() bool {
		var exists []bool
		exists, err = a.Store.BlocksExist(ctx, batch)
		if err != nil {
			return false
		}
		if i := slices.Index(exists, false); i >= 0 {
			found, ok = batch[i], true
			existing = append(existing, batch[:i]...)
			return false
		}
		existing = append(existing, batch...)
		batch = batch[:0]
		return true
	}
	blockCandidates(pool.CIDR, blockBits(pool), a.Host, func(c netip.Prefix) bool {
		if p.unusable(c) {
			return true
		}
		batch = append(batch, c)
		if len(batch) < existsBatch {
			return true
		}
		return check()
	})
	if !ok && err == nil && len(batch) > 0 {
		check()
	}
	if err != nil {
		return netip.Prefix{}, nil, false, err
	}
	orphan, err := a.findOrphan(ctx, p, existing)
	return found, orphan, ok, err
}

// claim creates block cidr affine to this host with the first address
// allocated, the affinity confirmed and the handle, in one Change. af is the
// existing affinity when the block is being recreated for it; old is the
// empty block of another host being reclaimed, replaced at the revision it
// was read at (so a block that changed since is left alone) together with
// the deletion of that host's affinity.
func (a *Allocator) claim(ctx context.Context, p *plan, cidr netip.Prefix, pool datastore.IPPool, af *datastore.Versioned[datastore.Affinity], old *reclaim) (*Assignment, error) {
	blk := newBlock(cidr, a.Host, a.now())
	var want *netip.Addr
	if p.req.IP.IsValid() {
		want = &p.req.IP
	}
	addr, err := allocate(&blk, a.attribute(p.req), want, p.reserved())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	aff := datastore.Affinity{Host: a.Host, CIDR: blk.CIDR, State: datastore.AffinityConfirmed}
	afw := datastore.Write[datastore.Affinity]{Op: datastore.Create, Value: aff}
	if af != nil {
		afw = datastore.Write[datastore.Affinity]{Op: datastore.Update, Value: aff, Rev: af.Rev}
	}
	bw := datastore.Write[datastore.Block]{Op: datastore.Create, Value: blk}
	c := datastore.Change{
		Affinities: append(slices.Clone(p.cleanup), afw),
		Handles:    []datastore.Write[datastore.Handle]{p.handleWrite(blk.CIDR)},
	}
	if old != nil {
		bw = datastore.Write[datastore.Block]{Op: datastore.Update, Value: blk, Rev: old.block.Rev}
		if old.affinity != nil {
			c.Affinities = append(c.Affinities, datastore.Write[datastore.Affinity]{Op: datastore.Delete, Value: old.affinity.Value, Rev: old.affinity.Rev})
		}
	}
	c.Blocks = []datastore.Write[datastore.Block]{bw}
	if err := a.commit(ctx, c); err != nil {
		return nil, err
	}
	slog.Info("claimed IPAM block", "block", blk.CIDR, "host", a.Host, "reclaimed", old != nil)
	return &Assignment{Addr: addr, Block: blk.CIDR, Pool: pool, affinitySeen: true}, nil
}

// assignIP assigns exactly p.req.IP (CNI_ARGS IP=).
func (a *Allocator) assignIP(ctx context.Context, p *plan) (*Assignment, error) {
	if p.handle != nil && len(p.handle.Value.Block) > 0 {
		for c := range p.handle.Value.Block {
			if pfx, err := netip.ParsePrefix(c); err == nil {
				if b, ok := p.blocks[pfx]; ok && len(addrsOf(&b.Value, p.req.HandleID)) > 0 {
					return nil, fmt.Errorf("%w: handle %s already holds %s, not %s", ErrInvalidRequest,
						p.req.HandleID, addrsOf(&b.Value, p.req.HandleID)[0], p.req.IP)
				}
			}
		}
	}
	pool := poolOf(p.snap.Pools, p.req.IP)
	cidr := netip.PrefixFrom(p.req.IP, blockBits(*pool)).Masked()
	b, ok := p.blocks[cidr]
	if !ok {
		owned := 0
		for _, af := range p.snap.Affinities {
			if af.Value.State != datastore.AffinityPendingDeletion {
				owned++
			}
		}
		if err := a.mayClaim(p, owned); err != nil {
			return nil, err
		}
		return a.claim(ctx, p, cidr, *pool, nil, nil)
	}
	if host := hostOf(&b.Value); host != a.Host {
		return nil, fmt.Errorf("%w: IP %s is in block %s, which is affine to %q, not to this host (strict affinity)",
			ErrInvalidRequest, p.req.IP, cidr, host)
	}
	blk := b.Value
	addr, err := allocate(&blk, a.attribute(p.req), &p.req.IP, p.reserved())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	c := datastore.Change{
		Handles: []datastore.Write[datastore.Handle]{p.handleWrite(cidr)},
		Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk, Rev: b.Rev}},
	}
	if err := a.commit(ctx, c); err != nil {
		return nil, err
	}
	return &Assignment{Addr: addr, Block: cidr, Pool: *pool}, nil
}
