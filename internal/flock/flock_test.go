package flock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLockExcludesAndTimesOut(t *testing.T) {
	// Not t.TempDir: its RemoveAll fails under Wine, where this test also runs.
	dir, err := os.MkdirTemp("", "flock-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "sub", "ipam.lock")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file description, so a second open in
	// the same process contends like another process would.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: %v, want deadline exceeded", err)
	}
	unlock()
	unlock2, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestSharedLocks(t *testing.T) {
	dir, err := os.MkdirTemp("", "flock-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "state.lock")
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	r1, err := LockShared(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := LockShared(short(), path)
	if err != nil {
		t.Fatalf("second shared lock while one is held: %v", err)
	}
	if _, err := Lock(short(), path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("exclusive lock while shared ones are held: %v, want deadline exceeded", err)
	}
	r1()
	if _, err := Lock(short(), path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("exclusive lock while one shared lock is held: %v, want deadline exceeded", err)
	}
	r2()
	w, err := Lock(short(), path)
	if err != nil {
		t.Fatalf("exclusive lock once the shared ones are released: %v", err)
	}
	if _, err := LockShared(short(), path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shared lock while an exclusive one is held: %v, want deadline exceeded", err)
	}
	w()
}
