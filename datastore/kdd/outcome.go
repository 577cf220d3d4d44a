package kdd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// repairBudget is what resolving a lost reply and undoing a failed Change
// may take. Commit keeps it back from the writes when the caller's deadline
// allows, so that the whole call ends by that deadline even when a write
// hangs until it.
const repairBudget = 2 * time.Second

// minRepair is the least a repair gets when the caller's deadline is (nearly)
// over: too short for nothing to be undone, too short to matter to it.
const minRepair = 300 * time.Millisecond

// writeContext is ctx less repairBudget, when ctx's deadline leaves room.
func writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) > 2*repairBudget {
		return context.WithDeadline(ctx, dl.Add(-repairBudget))
	}
	return context.WithCancel(ctx)
}

// repairContext is a fresh budget, not cancelled with ctx (a timeout is the
// usual reason to repair), ending at ctx's deadline when that is within
// repairBudget and not already (nearly) past.
func repairContext(ctx context.Context) (context.Context, context.CancelFunc) {
	now := time.Now()
	end := now.Add(repairBudget)
	if dl, ok := ctx.Deadline(); ok && dl.Before(end) {
		end = dl
		if floor := now.Add(minRepair); dl.Before(floor) {
			end = floor
		}
	}
	return context.WithDeadline(context.WithoutCancel(ctx), end)
}

// unknownOutcome tells whether a failed write may have been applied all the
// same: no answer came (a reset, a timeout), or the server answered that it
// gave up waiting for its storage, which may still apply the write. A 429
// is a refusal before anything was done.
func unknownOutcome(err error) bool {
	var ae *k8s.APIError
	if errors.As(err, &ae) {
		return ae.Code == http.StatusGatewayTimeout || ae.Code == http.StatusInternalServerError
	}
	return errors.Is(err, datastore.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// errUnresolved: a write's reply was lost and reading did not tell whether
// it was applied. The Change is then left as it is, which the write order
// makes safe: the runtime's DEL (by handle) frees whatever it holds.
var errUnresolved = errors.New("the reply to a write was lost, and whether it was applied could not be told")

// resolve finds out whether the write of o that failed with cause (an
// unknown outcome) was applied. It issues the same conditional write again
// on a fresh budget: if that succeeds, the write is applied now (and the
// lost one, if it was not, can no longer apply: the object exists, or is
// past rev); if it conflicts, the object is read and the write counts as
// applied when the object holds exactly what was written. gone (for a
// soft-delete mark) accepts an object deleted meanwhile as applied.
//
// It returns the object's metadata after the write, or an error wrapping
// both ErrUnavailable (code 11: try again) and errUnresolved.
func resolve[S any](ctx context.Context, s *Store, r k8s.Resource, o object[S], op datastore.Op, rev string, cause error) (meta, bool, error) {
	ctx, cancel := repairContext(ctx)
	defer cancel()
	unresolved := func(err error) (meta, bool, error) {
		return meta{}, false, fmt.Errorf("%w: %w: %s %s: %w (then: %w)", datastore.ErrUnavailable, errUnresolved, o.Kind, o.Metadata.Name, cause, err)
	}
	got, err := send(ctx, s, r, o, op, rev)
	if err == nil {
		return got, false, nil
	}
	if !errors.Is(err, datastore.ErrExists) && !errors.Is(err, datastore.ErrConflict) && !errors.Is(err, datastore.ErrNotFound) {
		return unresolved(err)
	}
	var raw json.RawMessage
	gerr := s.c.Get(ctx, r, o.Metadata.Name, &raw)
	if errors.Is(gerr, datastore.ErrNotFound) && isMark(o) {
		return meta{}, true, nil
	}
	if gerr != nil {
		return unresolved(errors.Join(err, gerr))
	}
	cur, derr := decode[S](r, raw)
	if derr != nil {
		return unresolved(derr)
	}
	if !sameSpec(cur.Spec, o.Spec) {
		return unresolved(err)
	}
	return cur.Metadata, false, nil
}

// isMark tells whether o is a soft-delete mark.
func isMark[S any](o object[S]) bool { return markedDeleted(&o) }

// sameSpec compares two specs by their JSON.
func sameSpec[S any](a, b S) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// resolveDelete finds out whether a conditional DELETE at rev whose reply
// was lost (cause) was applied: the object gone means it was; the object
// still at rev means it was not, and it is sent again.
func resolveDelete(ctx context.Context, s *Store, r k8s.Resource, name, rev string, cause error) error {
	ctx, cancel := repairContext(ctx)
	defer cancel()
	var cur struct {
		Metadata meta `json:"metadata"`
	}
	err := s.c.Get(ctx, r, name, &cur)
	switch {
	case errors.Is(err, datastore.ErrNotFound):
		return nil
	case err == nil && cur.Metadata.ResourceVersion == rev:
		err = s.c.Delete(ctx, r, name, k8s.Preconditions{ResourceVersion: rev})
		if err == nil || errors.Is(err, datastore.ErrNotFound) {
			return nil
		}
	case err == nil:
		err = fmt.Errorf("it is now at revision %s", cur.Metadata.ResourceVersion)
	}
	return fmt.Errorf("%w: %w: delete of %s %s: %w (then: %w)", datastore.ErrUnavailable, errUnresolved, r.Plural, name, cause, err)
}
