//go:build !windows

package plugin_test

import (
	"context"
	"testing"
	"time"
)

// An ADD that runs out of time after it created the pod's HNS endpoint
// undoes its work on a fresh budget (the expired deadline is the reason to
// undo, so it cannot be the undo's), within the call's 10 s: nothing is left
// for the runtime's DEL, which may never come.
func TestAddDeadlineUndoesWithoutDelIntegration(t *testing.T) {
	h := newHarness(t)
	// Attaching the endpoint, the step after its creation, outlasts the deadline.
	if err := h.sim.SetLatency(context.Background(), "AttachEndpoint", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	rt := pod("web-0", h.namespace())
	start := time.Now()
	_, err := h.add(rt)
	took := time.Since(start)
	if cniCode(err) != 11 {
		t.Fatalf("ADD past its deadline: %v, want code 11", err)
	}
	if took > 11*time.Second {
		t.Errorf("ADD took %s, want the call's 10 s bound (undo included)", took.Round(time.Millisecond))
	}
	h.leakCheck()
	if err := h.sim.SetLatency(context.Background(), "AttachEndpoint", 0); err != nil {
		t.Fatal(err)
	}
	h.mustAdd(rt)
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}
