package testctx

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDeadlineAndEnd(t *testing.T) {
	var ctx context.Context
	t.Run("inner", func(t *testing.T) {
		ctx = New(t, time.Hour)
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > time.Hour {
			t.Errorf("deadline %v, %v", d, ok)
		}
		if ctx.Err() != nil {
			t.Errorf("cancelled while the test runs: %v", ctx.Err())
		}
	})
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after the test: %v, want Canceled", ctx.Err())
	}
	short := New(t, time.Millisecond)
	<-short.Done()
	if !errors.Is(short.Err(), context.DeadlineExceeded) {
		t.Errorf("after the timeout: %v", short.Err())
	}
}
