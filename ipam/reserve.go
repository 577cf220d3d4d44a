package ipam

import (
	"maps"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/datastore"
)

// unusable reports whether IPReservations leave no address of block cidr
// to hand out: they cover the whole block (Calico's MatchesWholeCIDR, which
// makes Calico skip the block), or every address the Windows reservations
// leave. Calico claims a block of the second kind and then fails the ADD
// with "0 free ips"; skipping it as well means such a block is never
// claimed, and a pool whose blocks are all like it is reported exhausted.
func unusable(cidr netip.Prefix, reservations []netip.Prefix) bool {
	overlaps := false
	for _, r := range reservations {
		if r.Bits() <= cidr.Bits() && r.Contains(cidr.Addr()) {
			return true // the whole block
		}
		if r.Overlaps(cidr) {
			overlaps = true
		}
	}
	if !overlaps {
		return false
	}
	n := blockSize(cidr)
	for ord := range n {
		if isWindowsReserved(ord, n) {
			continue
		}
		if !reservedBy(reservations, addrOf(cidr, ord)) {
			return false
		}
	}
	return true
}

func reservedBy(reservations []netip.Prefix, a netip.Addr) bool {
	for _, r := range reservations {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// cloneBlock deep-copies what the algorithm changes in a block.
func cloneBlock(b datastore.Block) datastore.Block {
	// slices.Clone keeps an empty list empty rather than nil: the JSON
	// must stay [] where Calico writes [].
	b.Allocations = slices.Clone(b.Allocations)
	b.Unallocated = slices.Clone(b.Unallocated)
	b.Attributes = slices.Clone(b.Attributes)
	b.SequenceNumberForAllocation = maps.Clone(b.SequenceNumberForAllocation)
	return b
}
