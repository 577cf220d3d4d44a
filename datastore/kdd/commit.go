package kdd

import (
	"context"
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
// If a write fails (a lost compare-and-swap: ErrConflict, ErrExists or
// ErrNotFound, as on etcd), the writes already made are undone in reverse
// order, each on the condition that nothing changed the object since, and
// the error is returned: creations are deleted, updates and marks restored
// to the object as it was read. Only a failure in the last step, after every
// mark has been written, is not undone: the Change is applied by then.
func (s *Store) Commit(ctx context.Context, c datastore.Change) error {
	if err := checkDistinct(c); err != nil {
		return err
	}
	j := &journal{s: s}
	err := s.apply(ctx, c, j)
	if err != nil && !j.committed {
		j.rollback(ctx)
	}
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
	for _, m := range append(append(blockDeletes, handleDeletes...), affinityDeletes...) {
		if err := m(ctx); err != nil {
			return err
		}
	}
	j.committed = true
	return j.removeMarked(ctx)
}

// write creates o (Create) or replaces it at rev (Update) and records it in
// the journal.
func write[S any](ctx context.Context, j *journal, r k8s.Resource, o object[S], op datastore.Op, rev string) error {
	s := j.s
	var got struct {
		Metadata meta `json:"metadata"`
	}
	switch op {
	case datastore.Create:
		err := s.c.Create(ctx, r, o, &got)
		if errors.Is(err, datastore.ErrExists) && s.clearMarked(ctx, r, o.Metadata.Name) {
			err = s.c.Create(ctx, r, o, &got)
		}
		if err != nil {
			return err
		}
		j.created(r, got.Metadata)
	case datastore.Update:
		if rev == "" {
			return fmt.Errorf("update of %s %s needs the revision it was read at", o.Kind, o.Metadata.Name)
		}
		o.Metadata.ResourceVersion = rev
		if err := s.c.Update(ctx, r, o.Metadata.Name, o, &got); err != nil {
			return err
		}
		j.updated(r, rev, got.Metadata, nil)
	default:
		return fmt.Errorf("unknown write op %d for %s %s", op, o.Kind, o.Metadata.Name)
	}
	return nil
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
	marked.Metadata.ResourceVersion = rev
	var got struct {
		Metadata meta `json:"metadata"`
	}
	if err := s.c.Update(ctx, r, marked.Metadata.Name, marked, &got); err != nil {
		return err
	}
	j.updated(r, rev, got.Metadata, &unmarked)
	j.marked = append(j.marked, j.entry(r, got.Metadata.Name))
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

// checkDistinct refuses a Change that writes one object twice: the order of
// the two writes would be undefined.
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
