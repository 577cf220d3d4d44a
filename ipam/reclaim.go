package ipam

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/calico-win/cni/datastore"
)

// EmptyBlockMinReclaimAge is how long after its claim an empty block of
// another host may be reclaimed (Calico's constant of the same name): it
// keeps two hosts from taking one block from each other before either uses it.
const EmptyBlockMinReclaimAge = time.Minute

// reclaim is an empty block of another host, as read, with that host's
// affinity to it (nil when it has none left).
type reclaim struct {
	block    datastore.Versioned[datastore.Block]
	affinity *datastore.Versioned[datastore.Affinity]
	pool     datastore.IPPool
}

// findReclaimable is the last step of Calico's findUsableBlock, run only
// when no pool has an unclaimed block left: it lists the blocks and returns
// the first, in this host's walk order, that is empty (nothing but the
// Windows reservations, Calico's empty()), still has a free address, is
// affine to another host and was claimed at least EmptyBlockMinReclaimAge
// ago. The caller replaces it at the revision read here, which is what
// Calico's sequence-number guard ensures: a block that changed since is not
// taken. nil: none.
func (a *Allocator) findReclaimable(ctx context.Context, p *plan) (*reclaim, error) {
	snap, err := a.Store.Read(ctx, datastore.Query{AllBlocks: true})
	if err != nil {
		return nil, err
	}
	if len(snap.Blocks) == 0 {
		return nil, nil
	}
	var found *reclaim
	for _, pool := range p.pools {
		blockCandidates(pool.CIDR, blockBits(pool), a.Host, func(c netip.Prefix) bool {
			b, ok := snap.Blocks[c]
			if !ok || p.unusable(c) {
				return true
			}
			b = p.collected(b)
			owner := hostOf(&b.Value)
			if owner == "" || owner == a.Host || !isEmpty(&b.Value) || freeCount(&b.Value, p.reserved()) == 0 {
				return true
			}
			if b.Value.AffinityClaimTime != nil && p.now.Sub(b.Value.AffinityClaimTime.Time) < EmptyBlockMinReclaimAge {
				slog.Info("not reclaiming an empty block claimed recently by another host", "block", c, "owner", owner)
				return true
			}
			found = &reclaim{block: b, pool: pool}
			return false
		})
		if found != nil {
			break
		}
	}
	if found == nil {
		return nil, nil
	}
	owner := hostOf(&found.block.Value)
	affs, err := a.Store.Read(ctx, datastore.Query{Affinities: owner})
	if err != nil {
		return nil, err
	}
	for _, af := range affs.Affinities {
		if af.Value.CIDR == found.block.Value.CIDR {
			found.affinity = &af
		}
	}
	slog.Info("reclaiming an empty block of another host", "block", found.block.Value.CIDR, "owner", owner)
	return found, nil
}
