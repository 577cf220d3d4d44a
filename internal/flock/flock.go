// Package flock is an inter-process file lock, exclusive or shared, with a
// context deadline: flock(2) on Unix, LockFileEx on Windows. It knows
// nothing of what it protects.
package flock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Lock takes an exclusive lock on path (creating the file and its directory)
// and returns the function that releases it. If ctx ends first it returns
// ctx's error; the blocked lock attempt is abandoned with the file closed.
func Lock(ctx context.Context, path string) (func(), error) {
	return lock(ctx, path, true)
}

// LockShared takes a shared (read) lock on path, as Lock does: any number
// of shared holders exclude an exclusive one, and an exclusive holder
// excludes them all. Locks belong to the open file, so goroutines of one
// process contend as separate processes do.
func LockShared(ctx context.Context, path string) (func(), error) {
	return lock(ctx, path, false)
}

func lock(ctx context.Context, path string, exclusive bool) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- lockFile(f, exclusive) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return func() { unlockFile(f); f.Close() }, nil
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				unlockFile(f)
			}
			f.Close()
		}()
		return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
	}
}
