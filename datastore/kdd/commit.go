package kdd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// Commit applies c one object at a time, in Calico's crash-safe order, so
// that a process killed part way leaves what Calico's own IPAM leaves and
// knows how to recover from:
//
//  1. affinities, new ones as pending when they are to end confirmed;
//  2. handles, so that no address is ever allocated without its handle;
//  3. blocks;
//  4. affinities confirmed;
//  5. deletions by Calico's soft-delete protocol: every object to delete is
//     first marked deleted (blocks, then handles, then affinities; readers
//     treat a mark as a delete), then each is deleted on the condition that
//     it is still at the UID and resourceVersion of its mark.
//
// A write whose reply is lost (a reset, a timeout: it may have landed) is
// resolved first, by writing again and reading (resolve). Once resolved as
// applied, the Change goes on.
//
// If a write fails (a lost compare-and-swap: ErrConflict, ErrExists or
// ErrNotFound, as on etcd; or a lost reply resolved as not applied), the
// writes already made are undone in reverse order, each on the condition
// that nothing changed the object since, and the error is returned:
// creations are deleted, updates and marks restored to the object as it was
// read. The undo stops at the first write it cannot undo: the earlier
// writes protect the later ones (a handle its block's address), so undoing
// them alone would lose an address. Nothing is undone when a write's
// outcome stays unknown (ErrUnavailable): the order above leaves every
// such state one that the runtime's retried DEL (a release by handle)
// cleans up, as it would after a crash. Nor is a failure in the last step,
// after every mark has been written: the Change is applied by then.
//
// The writes stop repairBudget before ctx's deadline, which the repairs
// (resolving, undoing) then have, so a Commit ends by ctx's deadline.
func (s *Store) Commit(ctx context.Context, c datastore.Change) error {
	if err := checkDistinct(c); err != nil {
		return err
	}
	j := &journal{s: s, written: c.Written}
	wctx, cancel := writeContext(ctx)
	defer cancel()
	err := s.apply(wctx, c, j)
	if err == nil || j.committed {
		return err
	}
	if unknownOutcome(err) && !errors.Is(err, errUnresolved) {
		// A read (of a mark's revision) got no answer: nothing is in doubt.
		j.rollback(ctx)
		return err
	}
	if j.unresolved || j.irreversible {
		return err
	}
	j.rollback(ctx)
	return err
}

func (s *Store) apply(ctx context.Context, c datastore.Change, j *journal) error {
	type confirmation struct {
		a   datastore.Affinity
		rev string // "" when created as pending by this Commit
	}
	var confirms []confirmation
	var affinityDeletes []func(context.Context) error
	for _, w := range c.Affinities {
		a := w.Value
		switch {
		case w.Op == datastore.Delete:
			affinityDeletes = append(affinityDeletes, func(ctx context.Context) error {
				return mark(ctx, j, blockAffinities, affinityObject(a, true), affinityObject(a, false), w.Rev)
			})
		case a.State == datastore.AffinityConfirmed && w.Op == datastore.Create:
			pending := a
			pending.State = datastore.AffinityPending
			if err := write(ctx, j, blockAffinities, affinityObject(pending, false), w.Op, ""); err != nil {
				return err
			}
			confirms = append(confirms, confirmation{a: a})
		case a.State == datastore.AffinityConfirmed:
			confirms = append(confirms, confirmation{a: a, rev: w.Rev})
		default:
			if err := write(ctx, j, blockAffinities, affinityObject(a, false), w.Op, w.Rev); err != nil {
				return err
			}
		}
	}
	var handleDeletes []func(context.Context) error
	for _, w := range c.Handles {
		if w.Op == datastore.Delete {
			handleDeletes = append(handleDeletes, func(ctx context.Context) error {
				return mark(ctx, j, ipamHandles, handleObject(w.Value, true), handleObject(w.Value, false), w.Rev)
			})
			continue
		}
		if err := write(ctx, j, ipamHandles, handleObject(w.Value, false), w.Op, w.Rev); err != nil {
			return err
		}
	}
	var blockDeletes []func(context.Context) error
	for _, w := range c.Blocks {
		if w.Op == datastore.Delete {
			blockDeletes = append(blockDeletes, func(ctx context.Context) error {
				return mark(ctx, j, ipamBlocks, blockObject(w.Value, true), blockObject(w.Value, false), w.Rev)
			})
			continue
		}
		if err := write(ctx, j, ipamBlocks, blockObject(w.Value, false), w.Op, w.Rev); err != nil {
			return err
		}
	}
	for _, cf := range confirms {
		o := affinityObject(cf.a, false)
		rev := cf.rev
		if rev == "" {
			rev = j.rev(blockAffinities, o.Metadata.Name)
		}
		if err := write(ctx, j, blockAffinities, o, datastore.Update, rev); err != nil {
			return err
		}
	}
	if d := singleDelete(c); d != nil {
		if err := remove(ctx, j, d.r, d.name, d.rev); err != nil {
			return err
		}
		j.committed = true
		return nil
	}
	for _, m := range append(append(blockDeletes, handleDeletes...), affinityDeletes...) {
		if err := m(ctx); err != nil {
			return err
		}
	}
	j.committed = true
	return j.removeMarked(ctx)
}

// deletion names the one object a Change deletes.
type deletion struct {
	r         k8s.Resource
	name, rev string
}

// singleDelete is the deletion of a Change that deletes exactly one object,
// at a known revision (a release: its handle), or nil. Such a delete needs
// no soft-delete mark: Calico marks first so that several deletions look
// done at once to readers, and because its client sends no
// compare-and-delete; a DELETE with a resourceVersion precondition is one,
// and leaves readers the same states (the object at rev, or gone). That is
// one request instead of two.
func singleDelete(c datastore.Change) *deletion {
	var ds []deletion
	for _, w := range c.Affinities {
		if w.Op == datastore.Delete {
			ds = append(ds, deletion{blockAffinities, affinityName(w.Value.Host, w.Value.CIDR), w.Rev})
		}
	}
	for _, w := range c.Handles {
		if w.Op == datastore.Delete {
			ds = append(ds, deletion{ipamHandles, handleName(w.Value.HandleID), w.Rev})
		}
	}
	for _, w := range c.Blocks {
		if w.Op == datastore.Delete {
			ds = append(ds, deletion{ipamBlocks, blockName(w.Value.CIDR), w.Rev})
		}
	}
	if len(ds) != 1 || ds[0].rev == "" {
		return nil
	}
	return &ds[0]
}

// remove deletes name on the condition that it is still at rev. A lost
// reply is resolved by reading: gone means applied; still at rev means not
// applied, and the DELETE is sent once more; anything else is unresolved.
func remove(ctx context.Context, j *journal, r k8s.Resource, name, rev string) error {
	s := j.s
	err := s.c.Delete(ctx, r, name, k8s.Preconditions{ResourceVersion: rev})
	if err != nil && unknownOutcome(err) {
		err = resolveDelete(ctx, s, r, name, rev, err)
	}
	if err != nil {
		j.unresolved = errors.Is(err, errUnresolved)
	}
	return err
}

// write creates o (Create) or replaces it at rev (Update) and records it in
// the journal. A write whose reply was lost is resolved before anything
// else happens (resolve).
func write[S any](ctx context.Context, j *journal, r k8s.Resource, o object[S], op datastore.Op, rev string) error {
	if op == datastore.Update && rev == "" {
		return fmt.Errorf("update of %s %s needs the revision it was read at", o.Kind, o.Metadata.Name)
	}
	got, raw, err := sendRaw(ctx, j.s, r, o, op, rev)
	if err != nil && unknownOutcome(err) {
		raw = nil // resolved by reading: the block as written is not kept
		got, _, err = resolve(ctx, j.s, r, o, op, rev, err)
	}
	if err != nil {
		j.unresolved = errors.Is(err, errUnresolved)
		return err
	}
	j.wrote(r, raw)
	if op == datastore.Create {
		j.created(r, got)
	} else {
		j.updated(r, rev, got, nil)
	}
	return nil
}

// send is one write of o: a create, or a replace conditional on rev.
func send[S any](ctx context.Context, s *Store, r k8s.Resource, o object[S], op datastore.Op, rev string) (meta, error) {
	m, _, err := sendRaw(ctx, s, r, o, op, rev)
	return m, err
}

// sendRaw is send, also returning the object as the server stored it.
func sendRaw[S any](ctx context.Context, s *Store, r k8s.Resource, o object[S], op datastore.Op, rev string) (meta, json.RawMessage, error) {
	var raw json.RawMessage
	var err error
	switch op {
	case datastore.Create:
		err = s.c.Create(ctx, r, o, &raw)
		if errors.Is(err, datastore.ErrExists) && s.clearMarked(ctx, r, o.Metadata.Name) {
			err = s.c.Create(ctx, r, o, &raw)
		}
	case datastore.Update:
		o.Metadata.ResourceVersion = rev
		err = s.c.Update(ctx, r, o.Metadata.Name, o, &raw)
	default:
		return meta{}, nil, fmt.Errorf("unknown write op %d for %s %s", op, o.Kind, o.Metadata.Name)
	}
	if err != nil {
		return meta{}, nil, err
	}
	var got struct {
		Metadata meta `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		return meta{}, nil, fmt.Errorf("decoding the answer to the write of %s %s: %w", o.Kind, o.Metadata.Name, err)
	}
	return got.Metadata, raw, nil
}

// mark is the first step of Calico's soft delete: the object rewritten with
// deleted set, on the condition it is still at rev (the current one when
// rev is empty). Undoing it writes back the object as read at rev or, if
// this Store did not read it, unmarked.
func mark[S any](ctx context.Context, j *journal, r k8s.Resource, marked, unmarked object[S], rev string) error {
	s := j.s
	if rev == "" {
		var cur struct {
			Metadata meta `json:"metadata"`
		}
		if err := s.c.Get(ctx, r, marked.Metadata.Name, &cur); err != nil {
			return err
		}
		rev = cur.Metadata.ResourceVersion
	}
	got, err := send(ctx, s, r, marked, datastore.Update, rev)
	gone := false
	if err != nil && unknownOutcome(err) {
		got, gone, err = resolve(ctx, s, r, marked, datastore.Update, rev, err)
	}
	if err != nil {
		j.unresolved = errors.Is(err, errUnresolved)
		return err
	}
	if gone {
		// Marked, and its delete finished by a reader since: nothing to
		// remove, and nothing left to restore, so nothing before it may be
		// undone either.
		j.irreversible = true
		return nil
	}
	j.updated(r, rev, got, &unmarked)
	j.marked = append(j.marked, j.entry(r, got.Name))
	return nil
}

// clearMarked finishes the delete of an object that blocks a create because
// it was marked deleted and never removed, and reports whether it did.
func (s *Store) clearMarked(ctx context.Context, r k8s.Resource, name string) bool {
	var o object[map[string]any]
	if s.c.Get(ctx, r, name, &o) != nil {
		return false
	}
	d, _ := o.Spec["deleted"].(bool)
	if ds, ok := o.Spec["deleted"].(string); ok {
		d = ds == "true"
	}
	if !d {
		return false
	}
	s.finishDelete(ctx, r, o.Metadata)
	return true
}

// checkDistinct refuses a Change that writes one object twice (the order of
// the two writes would be undefined) or a handle that cannot be named.
func checkDistinct(c datastore.Change) error {
	seen := map[string]bool{}
	add := func(kind, name string) error {
		if seen[kind+"/"+name] {
			return fmt.Errorf("%s %s written twice in one change", kind, name)
		}
		seen[kind+"/"+name] = true
		return nil
	}
	for _, w := range c.Affinities {
		if err := add("BlockAffinity", affinityName(w.Value.Host, w.Value.CIDR)); err != nil {
			return err
		}
	}
	for _, w := range c.Handles {
		if err := checkHandleID(w.Value.HandleID); err != nil {
			return err
		}
		if err := add("IPAMHandle", handleName(w.Value.HandleID)); err != nil {
			return err
		}
	}
	for _, w := range c.Blocks {
		if err := add("IPAMBlock", blockName(w.Value.CIDR)); err != nil {
			return err
		}
	}
	return nil
}
