package memstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/calico-win/cni/datastore"
)

// Commit applies c all or nothing, as etcd's transaction does: every write
// is checked first (Create: absent; Update: present at Rev; Delete: present
// at Rev, or present at all without one) and only then are they applied.
// The first failed check names the sentinel: ErrExists, ErrNotFound or
// ErrConflict.
func (s *Store) Commit(ctx context.Context, c datastore.Change) error {
	if len(c.Affinities)+len(c.Handles)+len(c.Blocks) == 0 {
		return nil // no writes, no round trip, as etcd
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var apply []func(rev string)
	for _, w := range c.Affinities {
		k := affKey{w.Value.Host, w.Value.CIDR}
		f, err := plan(s.affinities, k, w, seen, "affinity "+w.Value.Host+"/"+w.Value.CIDR.String(), func(a datastore.Affinity) datastore.Affinity { return a })
		if err != nil {
			return err
		}
		apply = append(apply, f)
	}
	for _, w := range c.Handles {
		f, err := plan(s.handles, w.Value.HandleID, w, seen, "handle "+w.Value.HandleID, cloneHandle)
		if err != nil {
			return err
		}
		apply = append(apply, f)
	}
	for _, w := range c.Blocks {
		f, err := plan(s.blocks, w.Value.CIDR, w, seen, "block "+w.Value.CIDR.String(), mustClone[datastore.Block])
		if err != nil {
			return err
		}
		apply = append(apply, f)
	}
	rev := s.nextRev() // one revision per Change, as one etcd transaction
	for _, f := range apply {
		f(rev)
	}
	if c.Written != nil {
		for _, w := range c.Blocks {
			if w.Op != datastore.Delete {
				c.Written[w.Value.CIDR] = datastore.Versioned[datastore.Block]{Value: mustClone(w.Value), Rev: rev}
			}
		}
	}
	return nil
}

// plan checks one write against m and returns the function that applies it.
func plan[K comparable, T any](m map[K]datastore.Versioned[T], k K, w datastore.Write[T], seen map[string]bool, name string, clone func(T) T) (func(string), error) {
	if seen[name] {
		return nil, fmt.Errorf("memstore: %s written twice in one change", name)
	}
	seen[name] = true
	cur, exists := m[k]
	switch w.Op {
	case datastore.Create:
		if exists {
			return nil, fmt.Errorf("%w: %s", datastore.ErrExists, name)
		}
	case datastore.Update, datastore.Delete:
		if !exists {
			return nil, fmt.Errorf("%w: %s", datastore.ErrNotFound, name)
		}
		if w.Op == datastore.Update && w.Rev == "" {
			return nil, fmt.Errorf("memstore: update of %s needs the revision it was read at", name)
		}
		if w.Rev != "" && w.Rev != cur.Rev {
			return nil, fmt.Errorf("%w: %s is at revision %s, not %s", datastore.ErrConflict, name, cur.Rev, w.Rev)
		}
	default:
		return nil, fmt.Errorf("memstore: unknown write op %d for %s", w.Op, name)
	}
	if w.Op == datastore.Delete {
		return func(string) { delete(m, k) }, nil
	}
	v := clone(w.Value)
	return func(rev string) { m[k] = datastore.Versioned[T]{Value: v, Rev: rev} }, nil
}

// mustClone deep-copies v through its stored JSON form, so that the store
// never shares memory with its callers and holds what a real backend would
// read back. The datastore types always marshal.
func mustClone[T any](v T) T {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("memstore: %T does not marshal: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("memstore: %T does not unmarshal: %v", v, err))
	}
	return out
}
