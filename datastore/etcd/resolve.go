package etcd

import (
	"bytes"
	"context"
	"fmt"

	"github.com/calico-win/cni/datastore"
)

// A transaction whose answer was lost may have been applied or not, and
// may still be applied later by a member that resumes. It is resolved by
// reading, before anything else is done about it:
//   - If every compare still holds, it was not applied, and it can be sent
//     again: whichever copy lands first falsifies the compares of the
//     others (a create makes the key exist, an update or delete changes its
//     mod_revision), so it is applied at most once.
//   - Otherwise the history of the keys says whether it was this
//     transaction that changed them: it was applied at revision R if at R-1
//     every compare held and at R every put key holds the value it wrote
//     and every deleted key is gone. R is found by walking back one written
//     key's versions to the one holding our value; etcd keeps them until it
//     compacts.
//   - If not, another writer overtook it, and it fails as its compares
//     would have.

type outcome int

const (
	notApplied outcome = iota
	applied
	overtaken
)

type verdict struct {
	outcome  outcome
	rev      i64   // applied: the revision it was applied at
	conflict error // overtaken: what its compares say
}

// historySteps bounds the walk back through a key's versions: more writes
// to one key in the time it took to notice the lost answer than this is
// not an IPAM workload, and the outcome stays unknown.
const historySteps = 32

func (s *Store) resolve(ctx context.Context, ws []write) (verdict, error) {
	cur, now, err := s.snapshotAt(ctx, ws, 0)
	if err != nil {
		return verdict{}, err
	}
	if comparesHold(ws, cur) {
		return verdict{outcome: notApplied}, nil
	}
	conflict := diagnose(ws, asResponses(cur))
	put := -1
	for i, w := range ws {
		if w.op != datastore.Delete {
			put = i
			break
		}
	}
	if put < 0 {
		// Only deletes, and the keys are no longer as they were: if they
		// are all gone, the state is the one this transaction makes,
		// whoever made it.
		for _, kv := range cur {
			if kv != nil {
				return verdict{outcome: overtaken, conflict: conflict}, nil
			}
		}
		return verdict{outcome: applied, rev: now}, nil
	}
	w := ws[put]
	kv := cur[put]
	for range historySteps {
		if kv == nil {
			return verdict{outcome: overtaken, conflict: conflict}, nil
		}
		if bytes.Equal(kv.Value, w.value) {
			ok, err := s.appliedAt(ctx, ws, kv.ModRevision)
			if err != nil {
				return verdict{}, err
			}
			if ok {
				return verdict{outcome: applied, rev: kv.ModRevision}, nil
			}
		}
		if w.op == datastore.Create && kv.Version <= 1 {
			break // the key's first version, and not ours
		}
		if r0, err := parseRev(w.rev); err == nil && kv.ModRevision <= r0 {
			break // back at the version this write expected
		}
		prev, _, err := s.snapshotAt(ctx, ws[put:put+1], kv.ModRevision-1)
		if err != nil {
			return verdict{}, err
		}
		kv = prev[0]
	}
	return verdict{outcome: overtaken, conflict: conflict}, nil
}

// appliedAt tells whether ws was applied as the transaction of revision r.
func (s *Store) appliedAt(ctx context.Context, ws []write, r i64) (bool, error) {
	before, _, err := s.snapshotAt(ctx, ws, r-1)
	if err != nil {
		return false, err
	}
	if !comparesHold(ws, before) {
		return false, nil
	}
	after, _, err := s.snapshotAt(ctx, ws, r)
	if err != nil {
		return false, err
	}
	for i, w := range ws {
		kv := after[i]
		if w.op == datastore.Delete {
			if kv != nil {
				return false, nil
			}
		} else if kv == nil || kv.ModRevision != r || !bytes.Equal(kv.Value, w.value) {
			return false, nil
		}
	}
	return true, nil
}

// snapshotAt reads the keys of ws at revision rev (0: now): nil for a key
// that does not exist.
func (s *Store) snapshotAt(ctx context.Context, ws []write, rev i64) ([]*keyValue, i64, error) {
	ops := make([]rangeRequest, len(ws))
	for i, w := range ws {
		ops[i] = get(w.key)
	}
	resps, at, err := s.rangesAt(ctx, ops, rev)
	if err != nil {
		return nil, 0, fmt.Errorf("reading %d keys at revision %d: %w", len(ws), rev, err)
	}
	out := make([]*keyValue, len(ws))
	for i, r := range resps {
		if len(r.KVs) > 0 {
			out[i] = &r.KVs[0]
		}
	}
	return out, at, nil
}

// comparesHold evaluates the compares guard() makes for ws against kvs.
func comparesHold(ws []write, kvs []*keyValue) bool {
	for i, w := range ws {
		kv := kvs[i]
		switch {
		case w.op == datastore.Create:
			if kv != nil {
				return false
			}
		case w.rev == "":
			if kv == nil {
				return false
			}
		default:
			if kv == nil || revString(kv.ModRevision) != w.rev {
				return false
			}
		}
	}
	return true
}

func asResponses(kvs []*keyValue) []responseOp {
	out := make([]responseOp, len(kvs))
	for i, kv := range kvs {
		r := &rangeResponse{}
		if kv != nil {
			r.KVs = []keyValue{*kv}
		}
		out[i] = responseOp{Range: r}
	}
	return out
}
