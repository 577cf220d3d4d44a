package ipam

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/calico-win/cni/datastore"
)

// Addresses returns the addresses handle holds, as its blocks record them.
func (a *Allocator) Addresses(ctx context.Context, handle string) ([]netip.Addr, error) {
	snap, err := a.Store.Read(ctx, datastore.Query{Handles: []string{handle}})
	if err != nil {
		return nil, err
	}
	h, ok := snap.Handles[handle]
	if !ok {
		return nil, nil
	}
	var cidrs []netip.Prefix
	for c := range h.Value.Block {
		if p, err := netip.ParsePrefix(c); err == nil {
			cidrs = append(cidrs, p)
		}
	}
	if len(cidrs) == 0 {
		return nil, nil
	}
	s2, err := a.Store.Read(ctx, datastore.Query{Blocks: uniq(cidrs)})
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, c := range uniq(cidrs) {
		if b, ok := s2.Blocks[c]; ok {
			out = append(out, addrsOf(&b.Value, handle)...)
		}
	}
	return out, nil
}

// Ready reports why an assignment could not proceed now, or nil: the
// datastore answers, strict affinity is on, the Node exists and a pool is usable.
func (a *Allocator) Ready(ctx context.Context, pools []string) error {
	snap, err := a.Store.Read(ctx, datastore.Query{Config: true, Pools: true, Node: a.Host})
	if err != nil {
		return err
	}
	if snap.Config == nil || !snap.Config.StrictAffinity {
		return ErrStrictAffinity
	}
	if snap.Node == nil {
		return fmt.Errorf("%w: %q", ErrNoNode, a.Host)
	}
	_, err = selectPools(snap.Pools, pools, snap.Node, nil, true) // some namespace may match
	return err
}
