package logging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/calico-win/cni/internal/flock"
)

// stampLayout is the suffix a rotation gives the log: <log>.<UTC time>.
// Only files named so are pruned: anything else beside the log (a config
// file whose name happens to start with the log's) is not ours.
const stampLayout = "2006-01-02T15-04-05.000"

// now is time.Now, replaced by tests.
var now = time.Now

// openRotated opens the log file for appending, rotating it first when it
// has grown past MaxSize. Rotation renames path to path.<timestamp> and
// prunes rotated files beyond MaxCount or older than MaxAge days. A
// rotation that failed is returned as rotErr, with the log still opened.
func openRotated(o Options) (f *os.File, rotErr, err error) {
	if o.MaxSize <= 0 {
		o.MaxSize = 100
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 30
	}
	if o.MaxCount <= 0 {
		o.MaxCount = 10
	}
	if err := os.MkdirAll(filepath.Dir(o.FilePath), 0o755); err != nil {
		return nil, nil, err
	}
	if st, err := os.Stat(o.FilePath); err == nil && st.Size() >= int64(o.MaxSize)<<20 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		unlock, lerr := flock.Lock(ctx, filepath.Join(filepath.Dir(o.FilePath), "."+filepath.Base(o.FilePath)+".lock"))
		cancel()
		if lerr != nil {
			rotErr = lerr
		} else {
			rotErr = rotate(o)
			unlock()
		}
	}
	f, err = openAppend(o.FilePath)
	return f, rotErr, err
}

func rotate(o Options) error {
	// Another process may have rotated while we waited for the lock.
	if st, err := os.Stat(o.FilePath); err != nil || st.Size() < int64(o.MaxSize)<<20 {
		return nil
	}
	t := now().UTC()
	if err := os.Rename(o.FilePath, o.FilePath+"."+t.Format(stampLayout)); err != nil {
		return fmt.Errorf("renaming the full log: %w", err)
	}
	return prune(o, t)
}

// prune removes the rotated logs beyond MaxCount (newest kept) and those
// older than MaxAge days. It reads the directory rather than globbing, so
// that a path with glob characters ([, *, ?) means itself.
func prune(o Options, t time.Time) error {
	dir, base := filepath.Split(o.FilePath)
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return fmt.Errorf("listing rotated logs: %w", err)
	}
	type rotated struct {
		name string
		at   time.Time
	}
	var logs []rotated
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok || e.IsDir() {
			continue
		}
		at, err := time.Parse(stampLayout, stamp)
		if err != nil {
			continue // not a rotation of ours
		}
		logs = append(logs, rotated{e.Name(), at})
	}
	slices.SortFunc(logs, func(a, b rotated) int { return b.at.Compare(a.at) }) // newest first
	cutoff := t.Add(-time.Duration(o.MaxAge) * 24 * time.Hour)
	var errs []error
	for i, l := range logs {
		if i >= o.MaxCount || l.at.Before(cutoff) {
			if err := os.Remove(filepath.Join(dir, l.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
