package plugin

import (
	"context"
	"time"
)

// undoBudget is what undoing a failed ADD (removing the HNS endpoint it
// created, releasing the address it took) may take. ADD keeps it back from
// its own work, so that the undo, on a fresh budget, still ends by the
// call's deadline.
const undoBudget = 2 * time.Second

// minUndo is the least an undo gets when the call's deadline is (nearly)
// past: enough for the few local HNS and datastore calls it makes.
const minUndo = 500 * time.Millisecond

// reserveUndo shortens c.ctx by undoBudget when its deadline leaves room,
// and remembers the call's deadline for undoContext. The returned func
// releases the shortened context.
func (c *call) reserveUndo() func() {
	dl, ok := c.ctx.Deadline()
	if !ok {
		return func() {}
	}
	c.undoBy = dl
	if time.Until(dl) <= 2*undoBudget {
		return func() {}
	}
	var cancel context.CancelFunc
	c.ctx, cancel = context.WithDeadline(c.ctx, dl.Add(-undoBudget))
	return cancel
}

// undoContext is a fresh budget for undoing a failed ADD: not cancelled with
// c.ctx (its deadline is the usual reason to undo), up to undoBudget and
// ending at the call's deadline, but never less than minUndo.
func (c *call) undoContext() (context.Context, context.CancelFunc) {
	now := time.Now()
	end := now.Add(undoBudget)
	if !c.undoBy.IsZero() && c.undoBy.Before(end) {
		end = c.undoBy
	}
	if floor := now.Add(minUndo); end.Before(floor) {
		end = floor
	}
	return context.WithDeadline(context.WithoutCancel(c.ctx), end)
}
