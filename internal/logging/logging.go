// Package logging configures log/slog for one CNI invocation: text lines on
// stderr (which kubelet and containerd keep) and, when a log file is
// configured, the same lines appended to it, rotated by size, age and count.
// Every line carries the CNI command, container ID and pod.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/calico-win/cni/internal/flock"
)

// Options are the netconf's log_* keys.
type Options struct {
	Level    string // log_level: debug, info (default), warning, error
	FilePath string // log_file_path
	MaxSize  int    // log_file_max_size, MB (default 100)
	MaxAge   int    // log_file_max_age, days (default 30)
	MaxCount int    // log_file_max_count, rotated files kept (default 10)
}

// Setup installs the default slog logger and returns a closer for the log file.
func Setup(o Options, stderr io.Writer, attrs ...any) (func(), error) {
	var w io.Writer = stderr
	closer := func() {}
	var ferr error
	if o.FilePath != "" {
		f, err := openRotated(o)
		if err != nil {
			ferr = err // keep logging to stderr; the caller decides
		} else {
			w = io.MultiWriter(stderr, f)
			closer = func() { f.Close() }
		}
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: level(o.Level)})
	slog.SetDefault(slog.New(h).With(attrs...))
	return closer, ferr
}

func level(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// openRotated opens the log file for appending, rotating it first when it has
// grown past MaxSize. Rotation renames path to path.<timestamp> and prunes
// rotated files beyond MaxCount or older than MaxAge days.
func openRotated(o Options) (*os.File, error) {
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
		return nil, err
	}
	if st, err := os.Stat(o.FilePath); err == nil && st.Size() >= int64(o.MaxSize)<<20 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		unlock, lerr := flock.Lock(ctx, filepath.Join(filepath.Dir(o.FilePath), "."+filepath.Base(o.FilePath)+".lock"))
		cancel()
		if lerr == nil {
			rotate(o)
			unlock()
		}
	}
	return os.OpenFile(o.FilePath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

func rotate(o Options) {
	// Another process may have rotated while we waited for the lock.
	if st, err := os.Stat(o.FilePath); err != nil || st.Size() < int64(o.MaxSize)<<20 {
		return
	}
	stamp := time.Now().UTC().Format("2006-01-02T15-04-05.000")
	_ = os.Rename(o.FilePath, fmt.Sprintf("%s.%s", o.FilePath, stamp))
	old, _ := filepath.Glob(o.FilePath + ".*")
	rotated := old
	sort.Sort(sort.Reverse(sort.StringSlice(rotated))) // newest first
	cutoff := time.Now().Add(-time.Duration(o.MaxAge) * 24 * time.Hour)
	for i, p := range rotated {
		st, err := os.Stat(p)
		if i >= o.MaxCount || (err == nil && st.ModTime().Before(cutoff)) {
			_ = os.Remove(p)
		}
	}
}
