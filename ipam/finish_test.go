package ipam_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
)

// With Finish set, a session's end (the hint stored, then the host lock
// released) is handed over instead of run: the assignment returns with the
// lock still held and the hint not yet stored, and the next session waits
// for the lock until the handed-over end has run.
func TestFinishHandsOverTheSessionEnd(t *testing.T) {
	b := memBackend(t)
	b.seed(t, datastore.IPAMConfig{}, pool("p", "10.0.0.0/24", 26))
	var mu sync.Mutex // the host lock
	lock := func(context.Context) (func(), error) { mu.Lock(); return mu.Unlock, nil }
	var ends []func()
	hint := &memHint{}
	a := b.alloc("win-1", nil)
	a.Lock, a.Hint, a.Finish = lock, hint, func(f func()) { ends = append(ends, f) }
	first := assign(t, a, "c1", 0)
	if len(ends) != 1 {
		t.Fatalf("%d session ends handed over, want 1", len(ends))
	}
	if hint.h.CIDR.IsValid() {
		t.Fatalf("hint stored before the session's end ran: %v", hint.h.CIDR)
	}
	other := b.alloc("win-1", nil)
	other.Lock = lock
	done := make(chan error, 1)
	go func() {
		_, err := other.Assign(ctx(t), req("c2"), datastore.Query{})
		done <- err
	}()
	select {
	case <-done:
		t.Fatal("another session got the host lock before the first one's end ran")
	case <-time.After(100 * time.Millisecond):
	}
	ends[0]()
	if hint.h.CIDR != first.Block {
		t.Fatalf("hint %v after the session's end, want %v", hint.h.CIDR, first.Block)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the host lock was not released by the session's end")
	}
}
