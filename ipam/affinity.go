package ipam

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/calico-win/cni/datastore"
)

// releaseUnselected releases, as Calico's prepareAffinityBlocksForHost
// does, this host's empty blocks whose enabled pool no longer selects the
// node: the block and the affinity are deleted at the revisions read. A
// block of a disabled or deleted pool is left as Calico leaves it (it
// neither serves nor counts; deleting the pool with calicoctl releases
// it). A failure is logged and the assignment goes on, as in Calico.
func (a *Allocator) releaseUnselected(ctx context.Context, p *plan) {
	var c datastore.Change
	for _, af := range p.snap.Affinities {
		cidr := af.Value.CIDR
		if poolOf(p.pools, cidr.Addr()) != nil {
			continue
		}
		b, ok := p.blocks[cidr]
		if !ok || hostOf(&b.Value) != a.Host || !isEmpty(&b.Value) || selectsNode(p.snap.Pools, cidr, p.snap.Node) {
			continue
		}
		slog.Info("releasing an empty block whose pool no longer selects this node", "block", cidr, "host", a.Host)
		c.Affinities = append(c.Affinities, datastore.Write[datastore.Affinity]{Op: datastore.Delete, Value: af.Value, Rev: af.Rev})
		c.Blocks = append(c.Blocks, datastore.Write[datastore.Block]{Op: datastore.Delete, Value: b.Value, Rev: b.Rev})
		delete(p.blocks, cidr)
	}
	if len(c.Blocks) == 0 {
		return
	}
	if err := a.commit(ctx, c); err != nil {
		slog.Warn("could not release blocks whose pool no longer selects this node", "err", err)
	}
}

// selectsNode reports whether the enabled pool holding cidr selects node;
// true when no enabled pool holds it (nothing to decide) or the selector
// does not parse (keep what we cannot judge).
func selectsNode(pools []datastore.IPPool, cidr netip.Prefix, node *datastore.Node) bool {
	var pool *datastore.IPPool
	for i := range pools {
		if !pools[i].Disabled && pools[i].CIDR.Contains(cidr.Addr()) {
			pool = &pools[i]
			break
		}
	}
	if pool == nil || node == nil {
		return true
	}
	sel, err := parseSelector(pool.NodeSelector)
	if err != nil {
		slog.Warn("cannot evaluate the node selector of an IP pool", "pool", pool.Name, "err", err)
		return true
	}
	return sel(node.Labels)
}

// ensureConsistentAffinity is Calico's step after a release: a block the
// release left empty, whose enabled pool no longer selects the block's host,
// loses its affinity (block and affinity deleted at the revisions read).
// The pools and the Node come from the release's own read when it has
// them; otherwise they cost a read, and only when a release empties an
// affine block. Failures are logged: the addresses are already released.
func (a *Allocator) ensureConsistentAffinity(ctx context.Context, snap *datastore.Snapshot, emptied []datastore.Block) {
	for _, b := range emptied {
		host := hostOf(&b)
		if host == "" {
			continue
		}
		if snap.Pools != nil && snap.Node != nil && snap.Node.Name == host && selectsNode(snap.Pools, b.CIDR, snap.Node) {
			continue // the usual case, decided on what the release read
		}
		cur, err := a.Store.Read(ctx, datastore.Query{Pools: true, Node: host, Affinities: host, Blocks: []netip.Prefix{b.CIDR}})
		if err != nil {
			slog.Warn("could not check the affinity of an emptied block", "block", b.CIDR, "err", err)
			continue
		}
		blk, ok := cur.Blocks[b.CIDR]
		if cur.Node == nil || !ok || hostOf(&blk.Value) != host || !isEmpty(&blk.Value) || selectsNode(cur.Pools, b.CIDR, cur.Node) {
			continue
		}
		c := datastore.Change{Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Delete, Value: blk.Value, Rev: blk.Rev}}}
		for _, af := range cur.Affinities {
			if af.Value.CIDR == b.CIDR {
				c.Affinities = append(c.Affinities, datastore.Write[datastore.Affinity]{Op: datastore.Delete, Value: af.Value, Rev: af.Rev})
			}
		}
		if err := a.commit(ctx, c); err != nil {
			slog.Warn("could not release the affinity of an emptied block", "block", b.CIDR, "err", err)
			continue
		}
		slog.Info("released an emptied block whose pool no longer selects its host", "block", b.CIDR, "host", host)
	}
}
