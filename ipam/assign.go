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
// order, or claims a new block.
func (a *Allocator) autoAssign(ctx context.Context, p *plan) (*Assignment, error) {
	owned := 0
	for _, af := range p.snap.Affinities {
		if af.Value.State == datastore.AffinityPendingDeletion {
			continue
		}
		owned++
		pool := poolOf(p.pools, af.Value.CIDR.Addr())
		if pool == nil {
			continue // a block of a pool not selected for this request
		}
		b, ok := p.blocks[af.Value.CIDR]
		if !ok {
			// The affinity outlived its block (a claim interrupted by a
			// crash): recreate the block, as Calico's getBlockFromAffinity does.
			return a.claim(ctx, p, af.Value.CIDR, *pool, &af)
		}
		if host := hostOf(&b.Value); host != a.Host {
			slog.Warn("skipping stale affinity: its block belongs to another host", "block", af.Value.CIDR, "owner", host)
			continue
		}
		if freeCount(&b.Value, p.reserved()) == 0 {
			continue
		}
		return a.allocIn(ctx, p, af, b, *pool)
	}
	if err := a.mayClaim(p, owned); err != nil {
		return nil, err
	}
	for _, pool := range p.pools {
		cidr, found, err := a.findFreeBlock(ctx, pool)
		if err != nil {
			return nil, err
		}
		if found {
			return a.claim(ctx, p, cidr, pool, nil)
		}
	}
	return nil, ErrNoFreeBlocks
}

// allocIn takes the next free address of an affine block with space and
// commits the block and the handle together.
func (a *Allocator) allocIn(ctx context.Context, p *plan, af datastore.Versioned[datastore.Affinity], b datastore.Versioned[datastore.Block], pool datastore.IPPool) (*Assignment, error) {
	blk := b.Value
	addr, err := allocate(&blk, a.attribute(p.req), nil, p.reserved())
	if err != nil {
		return nil, err
	}
	c := datastore.Change{
		Handles: []datastore.Write[datastore.Handle]{p.handleWrite(blk.CIDR)},
		Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk, Rev: b.Rev}},
	}
	if af.Value.State == datastore.AffinityPending {
		confirmed := af.Value
		confirmed.State = datastore.AffinityConfirmed
		c.Affinities = append(c.Affinities, datastore.Write[datastore.Affinity]{Op: datastore.Update, Value: confirmed, Rev: af.Rev})
	}
	if err := a.Store.Commit(ctx, c); err != nil {
		return nil, err
	}
	return &Assignment{Addr: addr, Block: blk.CIDR, Pool: pool}, nil
}

// assignFromHint allocates from the hinted block when the first read shows
// it is still this host's (its affinity field), in a selected pool, with
// space; otherwise it returns errHintMiss and the full path runs.
func (a *Allocator) assignFromHint(ctx context.Context, p *plan, hint netip.Prefix) (*Assignment, error) {
	b, found := p.snap.Blocks[hint]
	if !found || hostOf(&b.Value) != a.Host || freeCount(&b.Value, p.reserved()) == 0 {
		return nil, errHintMiss
	}
	pool := poolOf(p.pools, hint.Addr())
	if pool == nil {
		return nil, errHintMiss
	}
	p.blocks = map[netip.Prefix]datastore.Versioned[datastore.Block]{hint: b}
	return a.allocIn(ctx, p, datastore.Versioned[datastore.Affinity]{}, b, *pool)
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
// first CIDR with no block object, checking existence in batches: a claim
// costs a few keys-only reads, not a list of every block in the cluster.
func (a *Allocator) findFreeBlock(ctx context.Context, pool datastore.IPPool) (netip.Prefix, bool, error) {
	var batch []netip.Prefix
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
			return false
		}
		batch = batch[:0]
		return true
	}
	blockCandidates(pool.CIDR, blockBits(pool), a.Host, func(c netip.Prefix) bool {
		batch = append(batch, c)
		if len(batch) < existsBatch {
			return true
		}
		return check()
	})
	if !ok && err == nil && len(batch) > 0 {
		check()
	}
	return found, ok, err
}

// claim creates block cidr affine to this host with the first address
// allocated, the affinity confirmed and the handle, in one Change. af is the
// existing affinity when the block is being recreated for it.
func (a *Allocator) claim(ctx context.Context, p *plan, cidr netip.Prefix, pool datastore.IPPool, af *datastore.Versioned[datastore.Affinity]) (*Assignment, error) {
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
	c := datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{afw},
		Handles:    []datastore.Write[datastore.Handle]{p.handleWrite(blk.CIDR)},
		Blocks:     []datastore.Write[datastore.Block]{{Op: datastore.Create, Value: blk}},
	}
	if err := a.Store.Commit(ctx, c); err != nil {
		return nil, err
	}
	slog.Info("claimed IPAM block", "block", blk.CIDR, "host", a.Host)
	return &Assignment{Addr: addr, Block: blk.CIDR, Pool: pool}, nil
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
		return a.claim(ctx, p, cidr, *pool, nil)
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
	if err := a.Store.Commit(ctx, c); err != nil {
		return nil, err
	}
	return &Assignment{Addr: addr, Block: cidr, Pool: *pool}, nil
}
