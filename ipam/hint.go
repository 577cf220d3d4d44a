package ipam

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/calico-win/cni/datastore"
)

// affinityTrust is how long a block's affinity, seen confirmed, stands in
// for reading it again when Allocator.CopyBlock is set: the cluster
// cache's TTL for pools and the IPAM config.
const affinityTrust = 15 * time.Second

// Hint is what an Allocator keeps on the node between processes.
type Hint struct {
	// CIDR is the block the last assignment used: it is tried first.
	CIDR netip.Prefix
	// Block, when its Rev is set, is that block as the datastore held it
	// at Rev after this node last wrote (or read) it (Allocator.CopyBlock).
	Block datastore.Versioned[datastore.Block]
	// AffinityAt is when this node last read the block's affinity
	// confirmed, or confirmed it (Allocator.CopyBlock).
	AffinityAt time.Time
}

// BlockHint stores the Hint between processes (a node-local file).
type BlockHint interface {
	Load() Hint
	Store(Hint)
}

// hintState is the Hint during one locked session: loaded at its start,
// changed in memory, stored once at its end.
type hintState struct {
	h     Hint
	dirty bool
	// written are the blocks this session's commits wrote, as the
	// datastore now holds them.
	written map[netip.Prefix]datastore.Versioned[datastore.Block]
	// ahead is the handle an Assign creates alongside its first read.
	ahead *ahead
}

// session takes the host lock and loads the hint; end stores the hint if
// it changed and releases the lock.
func (a *Allocator) session(ctx context.Context) (end func(), err error) {
	unlock, err := a.lock(ctx)
	if err != nil {
		return nil, err
	}
	a.hs = &hintState{written: map[netip.Prefix]datastore.Versioned[datastore.Block]{}}
	if a.Hint != nil {
		a.hs.h = a.Hint.Load()
	}
	if !a.CopyBlock || a.hs.h.Block.Value.CIDR != a.hs.h.CIDR {
		a.hs.h.Block, a.hs.h.AffinityAt = datastore.Versioned[datastore.Block]{}, time.Time{}
	}
	return func() {
		hs := a.hs
		a.hs = nil
		finish := func() {
			if a.Hint != nil && hs.dirty {
				a.Hint.Store(hs.h)
			}
			unlock()
		}
		if a.Finish != nil {
			a.Finish(finish)
			return
		}
		finish()
	}, nil
}

// blockCopy is the kept copy of block cidr, when there is one: the block
// need not be read, since every write of it is a compare-and-swap on the
// copy's revision (a stale copy costs a failed write and a read, never a
// wrong allocation).
func (a *Allocator) blockCopy(cidr netip.Prefix) (datastore.Versioned[datastore.Block], bool) {
	if !a.CopyBlock || a.hs == nil || a.hs.h.Block.Rev == "" || a.hs.h.CIDR != cidr {
		return datastore.Versioned[datastore.Block]{}, false
	}
	b := a.hs.h.Block
	return datastore.Versioned[datastore.Block]{Value: cloneBlock(b.Value), Rev: b.Rev}, true
}

// affinityTrusted tells whether the hinted block's affinity was seen
// confirmed recently enough to stand in for reading it. Reading it is
// what finds a pendingDeletion left by a release that lost to this node's
// writes (confirmed with the next write, as Calico does); meanwhile the
// block's own affinity field, checked on the copy and guarded by the
// compare-and-swap, keeps the address in a block that is still this
// host's.
func (a *Allocator) affinityTrusted(cidr netip.Prefix) bool {
	if _, ok := a.blockCopy(cidr); !ok {
		return false
	}
	at, now := a.hs.h.AffinityAt, a.now()
	return !at.IsZero() && !at.After(now) && now.Sub(at) < affinityTrust
}

// commit is Store.Commit keeping the hinted block's copy in step: the
// block as written replaces it, a delete or a failed write drops it.
func (a *Allocator) commit(ctx context.Context, c datastore.Change) error {
	if a.CopyBlock && a.hs != nil && c.Written == nil {
		c.Written = map[netip.Prefix]datastore.Versioned[datastore.Block]{}
	}
	err := a.Store.Commit(ctx, c)
	if a.hs == nil || !a.CopyBlock {
		return err
	}
	if err == nil {
		maps.Copy(a.hs.written, c.Written)
	}
	for _, w := range c.Blocks {
		if w.Value.CIDR != a.hs.h.CIDR {
			continue
		}
		if v, ok := c.Written[w.Value.CIDR]; ok && err == nil && w.Op != datastore.Delete {
			a.keepCopy(v)
		} else {
			a.dropCopy()
		}
	}
	return err
}

func (a *Allocator) keepCopy(b datastore.Versioned[datastore.Block]) {
	a.hs.h.Block, a.hs.dirty = b, true
}

func (a *Allocator) dropCopy() {
	if a.hs.h.Block.Rev != "" {
		a.hs.h.Block, a.hs.h.AffinityAt, a.hs.dirty = datastore.Versioned[datastore.Block]{}, time.Time{}, true
	}
}

// noteAssigned makes the assignment's block the hint, with its copy as
// written and, when the assignment read or confirmed its affinity, the
// time of that.
func (a *Allocator) noteAssigned(asg *Assignment) {
	h := &a.hs.h
	if h.CIDR != asg.Block {
		*h, a.hs.dirty = Hint{CIDR: asg.Block}, true
	}
	if !a.CopyBlock {
		return
	}
	if b, ok := a.hs.written[asg.Block]; ok {
		a.keepCopy(b)
	}
	if asg.affinitySeen && h.Block.Rev != "" {
		h.AffinityAt, a.hs.dirty = a.now(), true
	}
}

// withCopies is snap with the hinted block's copy and, when trusted, its
// affinity as last seen (confirmed; no revision, so it is never written),
// in place of reading them. snap itself is not changed.
func (a *Allocator) withCopies(snap *datastore.Snapshot, copied *datastore.Versioned[datastore.Block], trusted bool, hint netip.Prefix) *datastore.Snapshot {
	s := *snap
	if copied != nil {
		s.Blocks = maps.Clone(snap.Blocks)
		if s.Blocks == nil {
			s.Blocks = map[netip.Prefix]datastore.Versioned[datastore.Block]{}
		}
		s.Blocks[hint] = *copied
	}
	if trusted {
		s.Affinities = append(slices.Clone(snap.Affinities), datastore.Versioned[datastore.Affinity]{
			Value: datastore.Affinity{Host: a.Host, CIDR: hint, State: datastore.AffinityConfirmed}})
	}
	return &s
}
