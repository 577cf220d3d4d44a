package kdd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// journal records what one Commit wrote, to undo it if a later write fails.
type journal struct {
	s         *Store
	entries   []*entry // in the order first written
	marked    []*entry // soft-delete marks, to remove once all are written
	committed bool     // every mark is written: no undo from here on
	// unresolved: a write's outcome is unknown; undoing the writes before
	// it could leave its object unprotected (an address without a handle).
	unresolved bool
	// irreversible: a write cannot be undone (an object marked is gone).
	irreversible bool
	// written is the Change's Written: the blocks as the server stored them.
	written map[netip.Prefix]datastore.Versioned[datastore.Block]
}

// wrote records a block as the server stored it (raw, the answer to its
// write) in written, when the caller asked for it. A block that cannot be
// decoded is left out: the caller then reads it.
func (j *journal) wrote(r k8s.Resource, raw json.RawMessage) {
	if j.written == nil || r != ipamBlocks || raw == nil {
		return
	}
	o, err := decode[blockSpec](r, raw)
	if err != nil {
		return
	}
	b, err := toBlock(o)
	if err != nil {
		return
	}
	j.written[b.CIDR] = datastore.Versioned[datastore.Block]{Value: b, Rev: o.Metadata.ResourceVersion}
}

// entry is one object the Commit wrote.
type entry struct {
	r        k8s.Resource
	name     string
	created  bool   // this Commit created it
	fromRev  string // else: the revision its first update started from
	restore  any    // what undoing writes back if the object as read at fromRev is not known
	rev, uid string // after this Commit's last write
}

func (j *journal) entry(r k8s.Resource, name string) *entry {
	for _, e := range j.entries {
		if e.r == r && e.name == name {
			return e
		}
	}
	return nil
}

func (j *journal) rev(r k8s.Resource, name string) string {
	if e := j.entry(r, name); e != nil {
		return e.rev
	}
	return ""
}

func (j *journal) created(r k8s.Resource, m meta) {
	j.entries = append(j.entries, &entry{r: r, name: m.Name, created: true, rev: m.ResourceVersion, uid: m.UID})
}

func (j *journal) updated(r k8s.Resource, fromRev string, m meta, restore any) {
	if e := j.entry(r, m.Name); e != nil {
		e.rev, e.uid = m.ResourceVersion, m.UID
		return
	}
	j.entries = append(j.entries, &entry{r: r, name: m.Name, fromRev: fromRev, restore: restore, rev: m.ResourceVersion, uid: m.UID})
}

// removeMarked is the second step of the soft delete. A mark is as good as
// a delete to every reader, so an object already gone is fine, and a
// failure leaves the delete for the next reader to finish.
func (j *journal) removeMarked(ctx context.Context) error {
	var errs []error
	for _, e := range j.marked {
		err := j.s.c.Delete(ctx, e.r, e.name, k8s.Preconditions{UID: e.uid, ResourceVersion: e.rev})
		if err != nil && !errors.Is(err, datastore.ErrNotFound) {
			errs = append(errs, fmt.Errorf("%s %s is marked deleted but could not be removed: %w", e.r.Plural, e.name, err))
		}
	}
	return errors.Join(errs...)
}

// rollback undoes the entries in reverse order. It runs even when ctx has
// expired (a timeout is a common reason to roll back), on a short budget of
// its own (repairContext). It stops at the first write it cannot undo (the
// object changed again meanwhile, was not read by this Store, or the undo
// got no answer): each write protects those after it, so the earlier ones
// stay, and the state is one a crash could leave, which a DEL cleans up.
func (j *journal) rollback(ctx context.Context) {
	ctx, cancel := repairContext(ctx)
	defer cancel()
	for i := len(j.entries) - 1; i >= 0; i-- {
		e := j.entries[i]
		if err := j.undo(ctx, e); err != nil {
			slog.Warn("could not undo a write of a failed datastore change; the writes before it are kept",
				"resource", e.r.Plural, "name", e.name, "kept", i, "err", err)
			return
		}
	}
}

func (j *journal) undo(ctx context.Context, e *entry) error {
	s := j.s
	if e.created {
		err := s.c.Delete(ctx, e.r, e.name, k8s.Preconditions{UID: e.uid, ResourceVersion: e.rev})
		if errors.Is(err, datastore.ErrNotFound) {
			return nil
		}
		return err
	}
	body := e.restore
	if raw, ok := s.recall(e.r.Plural, e.name, e.fromRev); ok {
		var o map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // sequence numbers need all 64 bits
		if err := dec.Decode(&o); err != nil {
			return err
		}
		body = o
	}
	if body == nil {
		return fmt.Errorf("the object at revision %s was not read by this process", e.fromRev)
	}
	return s.c.Update(ctx, e.r, e.name, withRev(body, e.rev), nil)
}

// withRev returns body (an object[S] or a decoded map) at resourceVersion rev.
func withRev(body any, rev string) any {
	switch o := body.(type) {
	case map[string]any:
		if m, ok := o["metadata"].(map[string]any); ok {
			m["resourceVersion"] = rev
		}
		return o
	case interface{ atRev(string) any }:
		return o.atRev(rev)
	}
	return body
}

func (o *object[S]) atRev(rev string) any {
	c := *o
	c.Metadata.ResourceVersion = rev
	return c
}
