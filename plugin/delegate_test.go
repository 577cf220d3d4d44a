package plugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCheckIPAMType(t *testing.T) {
	for typ, ok := range map[string]bool{
		"host-local": true, "calico-ipam": true, "win-overlay-ipam.exe": true,
		"calico": false, "Calico.exe": false, "../../bin/sh": false, `..\..\bin\sh`: false,
		`C:\bin\x.exe`: false, "/bin/sh": false, ".": false, "..": false,
	} {
		if err := checkIPAMType(typ); (err == nil) != ok {
			t.Errorf("checkIPAMType(%q) = %v, want ok=%v", typ, err, ok)
		}
	}
}

// A delegated plugin whose child keeps its stdout open does not hold the
// call past its deadline, on Linux (process group killed) and on Windows
// (the wait for its output is cut off).
func TestDelegatedPluginDeadline(t *testing.T) {
	// Not t.TempDir: its RemoveAll fails under Wine, where this test also runs.
	dir, err := os.MkdirTemp("", "delegate-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path, script := filepath.Join(dir, "hang"), "#!/bin/sh\nsleep 60 &\nsleep 60\n"
	if runtime.GOOS == "windows" {
		path, script = filepath.Join(dir, "hang.cmd"), "@echo off\r\nstart /b ping -n 6 127.0.0.1\r\nping -n 6 127.0.0.1 > nul\r\n"
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = (&ipamExec{typ: "hang"}).ExecPlugin(ctx, path, nil, os.Environ())
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "hang") {
		t.Errorf("ExecPlugin: %v, want a deadline error naming the plugin", err)
	}
	if took > 4*time.Second {
		t.Errorf("ExecPlugin returned after %s, 2 s past a 2 s deadline", took)
	}
}
