// Package logging configures log/slog for one CNI invocation: text lines on
// stderr (which kubelet and containerd keep) and, when a log file is
// configured, the same lines appended to it, rotated by size, age and count.
// Every line carries the CNI command, container ID and pod.
package logging

import (
	"io"
	"log/slog"
	"strings"
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
	var ferr, rerr error
	if o.FilePath != "" {
		f, rotErr, err := openRotated(o)
		rerr = rotErr
		if err != nil {
			ferr = err // keep logging to stderr; the caller decides
		} else {
			w = io.MultiWriter(stderr, f)
			closer = func() { f.Close() }
		}
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: level(o.Level)})
	slog.SetDefault(slog.New(h).With(attrs...))
	if rerr != nil {
		// Not fatal, but a log that is never rotated grows without bound:
		// say so where the operator looks.
		slog.Warn("log rotation failed; the log keeps growing", "path", o.FilePath, "err", rerr)
	}
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
