package ipam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/calico-win/cni/datastore"
)

// defaultMaxBlocks is Calico's built-in per-host block limit when neither
// the IPAMConfig nor the request sets one.
const defaultMaxBlocks = 20

// maxAttempts bounds retries after lost compare-and-swaps.
const maxAttempts = 50

// existsBatch is how many candidate blocks one BlocksExist call checks.
const existsBatch = 64

// Allocator assigns and releases addresses for one host.
type Allocator struct {
	Store datastore.IPAMStore
	Host  string
	// Lock, when set, serialises this host's IPAM transactions (a short host
	// lock around read-modify-write, so local processes do not collide on
	// the block's compare-and-swap). It is never held across HNS work.
	Lock func(ctx context.Context) (unlock func(), err error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Hint, when set, remembers the block the last assignment used. That
	// block is read with the first round trip, so a steady-state assignment
	// needs no second read. A stale hint costs nothing but that one key.
	Hint BlockHint
	// CopyBlock makes the Hint keep a copy of its block, as this node last
	// wrote or read it, which stands in for reading the block; and the time
	// its affinity was last seen confirmed, which for affinityTrust stands
	// in for reading that (hint.go). It is for a datastore where each
	// object read is a request of its own (Kubernetes); on etcd they ride
	// in the first read's transaction anyway.
	CopyBlock bool
	// Finish, when set, is given the end of each locked session (storing
	// the hint, then releasing the host lock) to run while the caller goes
	// on, instead of the caller waiting for it: an ADD then starts its HNS
	// work at once. Whoever sets it waits for that work before exiting;
	// the next session, of this process or another, waits for the lock.
	Finish func(func())

	hs *hintState // during a locked session (hint.go)
}

// Request is one address request.
type Request struct {
	HandleID string
	// Attrs go into the allocation's secondary attributes (node, pod,
	// namespace); the timestamp is added.
	Attrs map[string]string
	// Pools are the pool names or CIDRs to use (ipam.ipv4_pools); empty = all.
	Pools []string
	// MaxBlocks caps the host's blocks for this request (1 with
	// windows_use_single_network); 0 = no request-level cap.
	MaxBlocks int
	// IP, when valid, is the address to assign (CNI_ARGS IP=).
	IP netip.Addr
	// NamespaceLabels, when known, are matched against pool namespace selectors.
	NamespaceLabels map[string]string
	// Prepare, when set, sees the first read before anything is allocated
	// and may complete the request (the plugin checks readiness here, and
	// adds what it read of the pod meanwhile); an error aborts the assignment.
	Prepare func(*datastore.Snapshot, *Request) error
}

// Assignment is the outcome of Assign.
type Assignment struct {
	Addr  netip.Addr
	Block netip.Prefix // the block, whose mask the CNI result carries
	Pool  datastore.IPPool
	// Existing is true when the handle already held the address (a repeated ADD).
	Existing bool
	// Snapshot is the first read, including what the caller added to it.
	Snapshot *datastore.Snapshot

	// affinitySeen: the block's affinity was read confirmed, or confirmed
	// or created by the assignment's write.
	affinitySeen bool
}

func (a *Allocator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Allocator) lock(ctx context.Context) (func(), error) {
	if a.Lock == nil {
		return func() {}, nil
	}
	return a.Lock(ctx)
}

// Assign gives req.HandleID an address: the one it already holds, the one
// asked for with req.IP, or the next free one of this host's blocks,
// claiming a new block when they are full. extra is added to the first
// datastore read, so a caller can fetch what it needs in the same round trip.
// A steady-state assignment costs two round trips: read (with the hinted
// block), commit the block and handle together.
func (a *Allocator) Assign(ctx context.Context, req Request, extra datastore.Query) (*Assignment, error) {
	end, err := a.session(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	hint := a.hs.h.CIDR
	if _, ok := a.blockCopy(hint); ok && !req.IP.IsValid() {
		a.hs.ahead = a.createAhead(ctx, req.HandleID, hint) // ahead.go
	}
	asg, err := a.assign(ctx, req, extra, hint)
	if h := a.hs.ahead; err != nil && h != nil {
		if !h.waited {
			_ = h.wait() // never leave it running
		}
		if h.created {
			a.dropAhead(ctx, h)
		}
	}
	return asg, err
}

func (a *Allocator) assign(ctx context.Context, req Request, extra datastore.Query, hint netip.Prefix) (*Assignment, error) {
	var first *datastore.Snapshot
	for attempt := 0; attempt < maxAttempts; attempt++ {
		q := extra
		q.Config, q.Pools, q.Reservations, q.Node = true, true, true, a.Host
		var copied *datastore.Versioned[datastore.Block]
		trusted := false
		if hint.IsValid() && !req.IP.IsValid() {
			// Optimistic: read only the hinted block and its affinity
			// (one more key in the same read), or take them from the
			// hint's copy (CopyBlock). The block's affinity field says
			// whose it is; the affinity's state, whether it must be
			// confirmed. The handle is created, not read (a handle that
			// exists fails the create, and the next attempt reads
			// everything).
			if b, ok := a.blockCopy(hint); ok {
				copied = &b
			} else {
				q.Blocks = append(slices.Clone(extra.Blocks), hint)
			}
			if trusted = a.affinityTrusted(hint); !trusted {
				q.Affinities, q.AffinityCIDRs = a.Host, []netip.Prefix{hint}
			}
		} else {
			hint = netip.Prefix{}
			q.Affinities, q.AffinityCIDRs = a.Host, nil
			q.Handles = append(slices.Clone(extra.Handles), req.HandleID)
		}
		snap, err := a.Store.Read(ctx, q)
		if err == nil && a.hs.ahead != nil && !a.hs.ahead.waited {
			err = a.hs.ahead.wait()
		}
		if err != nil {
			return nil, err
		}
		if copied != nil || trusted {
			snap = a.withCopies(snap, copied, trusted, hint)
		}
		if first == nil {
			first = snap
			if req.Prepare != nil {
				hadIP := req.IP.IsValid()
				if err := req.Prepare(snap, &req); err != nil {
					return nil, err
				}
				if !hadIP && req.IP.IsValid() && hint.IsValid() {
					// Prepare asked for one address (a pod's ipAddrs
					// annotation): the hinted read cannot serve it.
					hint = netip.Prefix{}
					continue
				}
			}
		}
		asg, err := a.assignOnce(ctx, req, snap, hint)
		if errors.Is(err, errHintMiss) {
			// The hinted block cannot serve this request: read every
			// affinity of the host this time.
			hint = netip.Prefix{}
			continue
		}
		if errors.Is(err, datastore.ErrConflict) || errors.Is(err, datastore.ErrExists) || errors.Is(err, datastore.ErrNotFound) {
			slog.Debug("IPAM write lost a race, retrying", "attempt", attempt, "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		asg.Snapshot = first
		a.noteAssigned(asg)
		return asg, nil
	}
	return nil, fmt.Errorf("assigning an address for %s: %w after %d attempts", req.HandleID, datastore.ErrConflict, maxAttempts)
}

// errHintMiss: the hinted block cannot serve the request; read everything.
var errHintMiss = errors.New("block hint not usable")

// plan is one attempt's view: the snapshot plus the blocks read for it.
type plan struct {
	req    Request
	snap   *datastore.Snapshot
	pools  []datastore.IPPool
	handle *datastore.Versioned[datastore.Handle]
	blocks map[netip.Prefix]datastore.Versioned[datastore.Block]
	now    time.Time
	// cleanup are stale affinities of this host (their block is another
	// host's), deleted with this attempt's write.
	cleanup []datastore.Write[datastore.Affinity]
}

// collected returns b with the cooldowns that are over collected (on a copy:
// the snapshot stays as read), as Calico collects every block it reads. The
// collection is written with the block's next write.
func (p *plan) collected(b datastore.Versioned[datastore.Block]) datastore.Versioned[datastore.Block] {
	if !inCooldown(&b.Value) {
		return b
	}
	c := cloneBlock(b.Value)
	garbageCollect(&c, p.snap.Config.IPCooldownSeconds, p.now)
	return datastore.Versioned[datastore.Block]{Value: c, Rev: b.Rev}
}

func (a *Allocator) assignOnce(ctx context.Context, req Request, snap *datastore.Snapshot, hint netip.Prefix) (*Assignment, error) {
	if snap.Config == nil || !snap.Config.StrictAffinity {
		return nil, ErrStrictAffinity
	}
	if snap.Node == nil {
		return nil, fmt.Errorf("%w: %q (is calico-node running on it?)", ErrNoNode, a.Host)
	}
	pools, err := selectPools(snap.Pools, req.Pools, snap.Node, req.NamespaceLabels, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	p := &plan{req: req, snap: snap, pools: pools, now: a.now()}
	if h, ok := snap.Handles[req.HandleID]; ok {
		p.handle = &h
	}
	if hint.IsValid() {
		asg, err := a.assignFromHint(ctx, p, hint)
		if errors.Is(err, datastore.ErrExists) {
			return nil, fmt.Errorf("%w: %w", errHintMiss, err) // the handle exists: a repeated ADD
		}
		return asg, err
	}
	// Second round trip: every block we may use, known so far.
	var want []netip.Prefix
	if p.handle != nil {
		for c := range p.handle.Value.Block {
			if pfx, err := netip.ParsePrefix(c); err == nil {
				want = append(want, pfx)
			}
		}
	}
	for _, af := range snap.Affinities {
		want = append(want, af.Value.CIDR)
	}
	if req.IP.IsValid() {
		pool := poolOf(snap.Pools, req.IP)
		if pool == nil || pool.Disabled {
			return nil, fmt.Errorf("%w: IP %s is not in any enabled IP pool", ErrInvalidRequest, req.IP)
		}
		want = append(want, netip.PrefixFrom(req.IP, blockBits(*pool)).Masked())
	}
	p.blocks = map[netip.Prefix]datastore.Versioned[datastore.Block]{}
	if len(want) > 0 {
		s2, err := a.Store.Read(ctx, datastore.Query{Blocks: uniq(want)})
		if err != nil {
			return nil, err
		}
		for c, b := range s2.Blocks {
			p.blocks[c] = p.collected(b)
		}
	}
	if asg := p.existing(); asg != nil {
		return asg, nil
	}
	if req.IP.IsValid() {
		return a.assignIP(ctx, p)
	}
	return a.autoAssign(ctx, p)
}

// reserved reports the addresses IPReservations keep out of IPAM.
func (p *plan) reserved() reservedFn {
	res := p.snap.Reservations
	if len(res) == 0 {
		return nil
	}
	return func(a netip.Addr) bool { return reservedBy(res, a) }
}

// unusable reports whether IPReservations leave nothing of block cidr.
func (p *plan) unusable(cidr netip.Prefix) bool { return unusable(cidr, p.snap.Reservations) }

// existing returns the address the handle already holds, if any.
func (p *plan) existing() *Assignment {
	if p.handle == nil {
		return nil
	}
	for _, c := range slices.Sorted(maps.Keys(p.handle.Value.Block)) {
		pfx, err := netip.ParsePrefix(c)
		if err != nil {
			continue
		}
		b, ok := p.blocks[pfx]
		if !ok {
			continue
		}
		for _, addr := range addrsOf(&b.Value, p.req.HandleID) {
			if p.req.IP.IsValid() && addr != p.req.IP {
				continue
			}
			asg := &Assignment{Addr: addr, Block: pfx, Existing: true}
			if pool := poolOf(p.snap.Pools, addr); pool != nil {
				asg.Pool = *pool
			}
			return asg
		}
	}
	return nil
}

func (a *Allocator) attribute(req Request) datastore.Attribute {
	sec := maps.Clone(req.Attrs)
	if sec == nil {
		sec = map[string]string{}
	}
	sec["timestamp"] = a.now().UTC().String()
	return datastore.Attribute{HandleID: ptr(req.HandleID), Secondary: sec}
}

// handleWrite returns the write that records one more address of the handle
// in block cidr. Counts for blocks that no longer hold the handle are
// dropped, so a handle left behind by an interrupted write is repaired.
func (p *plan) handleWrite(cidr netip.Prefix) datastore.Write[datastore.Handle] {
	if p.handle == nil {
		return datastore.Write[datastore.Handle]{Op: datastore.Create, Value: datastore.Handle{
			HandleID: p.req.HandleID, Block: map[string]int{cidr.String(): 1}}}
	}
	h := p.handle.Value
	counts := map[string]int{}
	for c, n := range h.Block {
		pfx, err := netip.ParsePrefix(c)
		if b, ok := p.blocks[pfx]; err == nil && ok {
			if held := len(addrsOf(&b.Value, p.req.HandleID)); held > 0 {
				counts[c] = held
			}
		} else if err == nil && n > 0 {
			counts[c] = n // a block we did not read: keep Calico's count
		}
	}
	counts[cidr.String()]++
	h.Block, h.Deleted = counts, false
	return datastore.Write[datastore.Handle]{Op: datastore.Update, Value: h, Rev: p.handle.Rev}
}

func uniq(in []netip.Prefix) []netip.Prefix {
	slices.SortFunc(in, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return slices.Compact(in)
}
