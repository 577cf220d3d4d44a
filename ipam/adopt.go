package ipam

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/datastore"
)

// An orphan is a block whose affinity field names this host but which has
// no affinity object of the host: it was deleted by hand, or with a node
// of the same name. Calico's findUsableBlock takes such a block, when it
// meets it in its walk before an unclaimed CIDR and it has a free address,
// and gives it an affinity again (getPendingAffinity, then
// getBlockFromAffinity confirms it); so does this allocator.

// orphanListAbove is how many existing blocks are read one by one at most;
// above that, every block is listed in one read, as Calico does.
const orphanListAbove = 8

// findOrphan returns the first of cidrs (existing blocks, in walk order)
// that is an orphan of this host with a free address, or nil.
func (a *Allocator) findOrphan(ctx context.Context, p *plan, cidrs []netip.Prefix) (*datastore.Versioned[datastore.Block], error) {
	cidrs = slices.DeleteFunc(slices.Clone(cidrs), func(c netip.Prefix) bool {
		return slices.ContainsFunc(p.snap.Affinities, func(af datastore.Versioned[datastore.Affinity]) bool { return af.Value.CIDR == c })
	})
	if len(cidrs) == 0 {
		return nil, nil
	}
	q := datastore.Query{Blocks: cidrs}
	if len(cidrs) > orphanListAbove {
		q = datastore.Query{AllBlocks: true}
	}
	snap, err := a.Store.Read(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, c := range cidrs {
		b, ok := snap.Blocks[c]
		if !ok {
			continue
		}
		b = p.collected(b)
		if hostOf(&b.Value) == a.Host && freeCount(&b.Value, p.reserved()) > 0 {
			return &b, nil
		}
	}
	return nil, nil
}

// adopt allocates from orphan b and gives it this host's affinity again,
// confirmed, in the same change (the Kubernetes datastore writes it pending
// first and confirms it after the block, Calico's order).
func (a *Allocator) adopt(ctx context.Context, p *plan, b datastore.Versioned[datastore.Block], pool datastore.IPPool) (*Assignment, error) {
	slog.Info("adopting a block of this host that has no affinity", "block", b.Value.CIDR, "host", a.Host)
	aw := datastore.Write[datastore.Affinity]{Op: datastore.Create,
		Value: datastore.Affinity{Host: a.Host, CIDR: b.Value.CIDR, State: datastore.AffinityConfirmed}}
	return a.allocate(ctx, p, b, pool, &aw, true)
}
