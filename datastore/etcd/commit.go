package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/calico-win/cni/datastore"
)

// write is one keyed write of a transaction.
type write struct {
	op    datastore.Op
	key   string
	rev   string // the mod_revision an Update or Delete expects ("" on Delete: any)
	value []byte // Create and Update
}

// Commit applies c as one etcd transaction: a compare per write (Create:
// version == 0; Update and Delete: mod_revision == Rev; a Delete without Rev:
// version > 0), then all the puts and deletes. If a compare fails nothing is
// written, and the failure branch, a keys-only range per key, tells in the
// same round trip which write lost: ErrExists (a Create found the key),
// ErrNotFound (an Update or Delete found none) or ErrConflict (another
// revision).
//
// Affinities are written in their final state: the transaction is atomic,
// so etcd needs no pending step.
func (s *Store) Commit(ctx context.Context, c datastore.Change) error {
	var ws []write
	for _, w := range c.Affinities {
		if err := addWrite(&ws, w, affinityKey(w.Value.Host, w.Value.CIDR)); err != nil {
			return err
		}
	}
	for _, w := range c.Handles {
		if err := addWrite(&ws, w, handleKey(w.Value.HandleID)); err != nil {
			return err
		}
	}
	for _, w := range c.Blocks {
		if err := addWrite(&ws, w, blockKey(w.Value.CIDR)); err != nil {
			return err
		}
	}
	_, err := s.commit(ctx, ws)
	return err
}

func addWrite[T any](ws *[]write, w datastore.Write[T], key string) error {
	x := write{op: w.Op, key: key, rev: w.Rev}
	if w.Op != datastore.Delete {
		v, err := json.Marshal(w.Value)
		if err != nil {
			return fmt.Errorf("etcd: encoding %s: %w", key, err)
		}
		x.value = v
	}
	*ws = append(*ws, x)
	return nil
}

// commit runs writes as one transaction and returns the revision it
// created. No writes, no round trip. A transaction whose answer was lost
// is resolved (resolve.go) before it is sent again: applied, it succeeds
// with the revision it was applied at; overtaken by another writer, it
// fails as its compares would have; not applied, it is sent to the next
// endpoint. Its compares make every copy but the first to land fail, so
// sending it again never applies it twice.
func (s *Store) commit(ctx context.Context, ws []write) (i64, error) {
	if len(ws) == 0 {
		return 0, nil
	}
	if len(ws) > s.maxTxnOps {
		return 0, fmt.Errorf("etcd: a change of %d writes exceeds the server's %d operations per transaction", len(ws), s.maxTxnOps)
	}
	var req txnRequest
	seen := make(map[string]bool, len(ws))
	for _, w := range ws {
		if seen[w.key] {
			return 0, fmt.Errorf("etcd: %s written twice in one change", w.key)
		}
		seen[w.key] = true
		cmp, err := guard(w)
		if err != nil {
			return 0, err
		}
		req.Compare = append(req.Compare, cmp)
		if w.op == datastore.Delete {
			req.Success = append(req.Success, requestOp{DeleteRange: &deleteRangeRequest{Key: []byte(w.key)}})
		} else {
			req.Success = append(req.Success, requestOp{Put: &putRequest{Key: []byte(w.key), Value: w.value}})
		}
		req.Failure = append(req.Failure, requestOp{Range: &rangeRequest{Key: []byte(w.key), KeysOnly: true}})
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var lost error // the last attempt whose answer was lost
	for tries := 0; ; tries++ {
		var resp txnResponse
		err := s.send(ctx, txnPath, req, &resp, s.escalated(tries))
		switch {
		case err == nil && resp.Succeeded:
			return resp.Header.Revision, nil
		case err == nil && lost == nil:
			return 0, diagnose(ws, resp.Responses)
		case err != nil && !errors.Is(err, errOutcomeUnknown):
			if lost != nil {
				return 0, fmt.Errorf("%w; an earlier attempt may have been applied: %v", err, lost)
			}
			return 0, err
		case err != nil:
			lost = err
		}
		// Either the answer was lost, or a compare failed after an
		// earlier attempt whose answer was lost, which may be what
		// changed the keys.
		v, rerr := s.resolve(ctx, ws)
		if rerr != nil {
			return 0, fmt.Errorf("%w: %w; finding out whether it was applied: %w", datastore.ErrUnavailable, lost, rerr)
		}
		s.resolved.Add(1)
		switch v.outcome {
		case applied:
			return v.rev, nil
		case overtaken:
			return 0, v.conflict
		}
	}
}

// guard is the compare that makes w a compare-and-swap, as Calico's etcdv3
// backend does it.
func guard(w write) (compare, error) {
	c := compare{Result: "EQUAL", Key: []byte(w.key)}
	switch {
	case w.op == datastore.Create:
		c.Target, c.Version = "VERSION", new(i64)
	case w.op == datastore.Delete && w.rev == "":
		// Unconditional delete, but of something that exists.
		c.Result, c.Target, c.Version = "GREATER", "VERSION", new(i64)
	case w.op == datastore.Update || w.op == datastore.Delete:
		rev, err := parseRev(w.rev)
		if err != nil || rev <= 0 {
			return c, fmt.Errorf("etcd: write of %s needs the revision it was read at, got %q", w.key, w.rev)
		}
		c.Target, c.ModRevision = "MOD", &rev
	default:
		return c, fmt.Errorf("etcd: unknown write op %d for %s", w.op, w.key)
	}
	return c, nil
}

// diagnose names the first write whose compare failed, from the keys-only
// ranges of the failure branch.
func diagnose(ws []write, rs []responseOp) error {
	if len(rs) != len(ws) {
		return fmt.Errorf("%w: transaction failed, %d of %d keys reported", datastore.ErrConflict, len(rs), len(ws))
	}
	for i, w := range ws {
		var cur *keyValue
		if r := rs[i].Range; r != nil && len(r.KVs) > 0 {
			cur = &r.KVs[0]
		}
		switch {
		case w.op == datastore.Create && cur != nil:
			return fmt.Errorf("%w: %s", datastore.ErrExists, w.key)
		case w.op != datastore.Create && cur == nil:
			return fmt.Errorf("%w: %s", datastore.ErrNotFound, w.key)
		case w.op != datastore.Create && w.rev != "" && revString(cur.ModRevision) != w.rev:
			return fmt.Errorf("%w: %s is at revision %d, not %s", datastore.ErrConflict, w.key, cur.ModRevision, w.rev)
		}
	}
	return fmt.Errorf("%w: transaction compare failed", datastore.ErrConflict)
}
