package ipam

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/calico-win/cni/datastore"
)

// With a copy of the hinted block (CopyBlock), an assignment knows before
// its first read which block it will most likely use, so it creates the
// handle ({block: 1}, what its commit would create) alongside that read
// instead of after it: one write off the critical path of an ADD on the
// Kubernetes datastore, whose Commit writes the handle and then the block,
// one request each. The order that matters is kept: the block's write,
// which allocates the address, is sent only once the handle exists.
//
// If the assignment then goes another way (the hint misses, the pod asks
// for an address, a retry), the handle is already there: the next attempt
// reads it and updates it, as for a handle a crash left behind. If the
// assignment fails, the handle is deleted again (dropAhead).

// ahead is a handle create in flight, then its outcome.
type ahead struct {
	handle string
	block  netip.Prefix
	done   chan error
	// waited: the create is over; created: it created the handle; exists:
	// the handle was there already (a repeated ADD).
	waited, created, exists bool
}

// createAhead starts creating handle id for block cidr.
func (a *Allocator) createAhead(ctx context.Context, id string, cidr netip.Prefix) *ahead {
	h := &ahead{handle: id, block: cidr, done: make(chan error, 1)}
	go func() {
		h.done <- a.Store.Commit(ctx, datastore.Change{Handles: []datastore.Write[datastore.Handle]{{
			Op: datastore.Create, Value: datastore.Handle{HandleID: id, Block: map[string]int{cidr.String(): 1}}}}})
	}()
	return h
}

// wait waits for the create and records its outcome. A handle that was
// there already is no error: the assignment then reads it.
func (h *ahead) wait() error {
	err := <-h.done
	h.waited = true
	h.exists = errors.Is(err, datastore.ErrExists)
	h.created = err == nil
	if h.exists {
		return nil
	}
	return err
}

// covers tells whether the handle created ahead is the one a commit
// allocating in block cidr would create (for a request that read no handle).
func (h *ahead) covers(cidr netip.Prefix) bool { return h != nil && h.created && h.block == cidr }

// dropAhead deletes a handle created ahead by an assignment that failed,
// if nothing was allocated for it since (no block holds its address): the
// state the ADD found is restored. It runs on a budget of its own, since a
// timeout may be why the assignment failed; a failure leaves the handle to
// the runtime's DEL.
func (a *Allocator) dropAhead(ctx context.Context, h *ahead) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	snap, err := a.Store.Read(ctx, datastore.Query{Handles: []string{h.handle}, Blocks: []netip.Prefix{h.block}})
	if err != nil {
		slog.Warn("could not remove a handle created for a failed assignment; the runtime's DEL will", "handle", h.handle, "err", err)
		return
	}
	hv, ok := snap.Handles[h.handle]
	if !ok {
		return
	}
	for c := range hv.Value.Block {
		if c != h.block.String() {
			return // used for another block since: not ours alone to drop
		}
	}
	if b, ok := snap.Blocks[h.block]; ok && len(addrsOf(&b.Value, h.handle)) > 0 {
		return
	}
	err = a.commit(ctx, datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Delete, Value: hv.Value, Rev: hv.Rev}}})
	if err != nil {
		slog.Warn("could not remove a handle created for a failed assignment; the runtime's DEL will", "handle", h.handle, "err", err)
	}
}
