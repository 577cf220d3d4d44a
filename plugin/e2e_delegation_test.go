//go:build !windows

package plugin_test

// IPAM delegation through CNI_PATH: never into this plugin itself, never
// outside CNI_PATH, never past the call's deadline, and with the delegated
// plugin's own error code.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pluginDir makes a CNI_PATH directory with the built binaries and the
// given scripts (name -> /bin/sh body).
func pluginDir(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"calico", "calico-ipam"} {
		if err := os.Symlink(filepath.Join(binDir, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withPath replaces CNI_PATH in a cniEnv environment.
func withPath(env []string, dir string) []string {
	out := []string{}
	for _, e := range env {
		if !strings.HasPrefix(e, "CNI_PATH=") {
			out = append(out, e)
		}
	}
	return append(out, "CNI_PATH="+dir)
}

func TestDelegationRefusesItselfAndPathsIntegration(t *testing.T) {
	h := newHarness(t)
	dir := pluginDir(t, nil)
	os.Symlink(filepath.Join(binDir, "calico"), filepath.Join(dir, "alias"))
	src, err := os.ReadFile(filepath.Join(binDir, "calico"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "clone"), src, 0o755) // a copy: not the same file, found by the depth guard
	for _, typ := range []string{"calico", "alias", "clone", "../../bin/sh", `..\..\bin\sh`, "/bin/sh", "..", "."} {
		t.Run(typ, func(t *testing.T) {
			stdin := h.stdin("1.1.0", map[string]any{"ipam": map[string]any{"type": typ}})
			start := time.Now()
			for _, cmd := range []string{"ADD", "DEL"} {
				e, _, _ := runBin(t, "calico", stdin, withPath(cniEnv(cmd, "cid-web-0", h.namespace()), dir))
				if e == nil || e.Code != 7 || !strings.Contains(e.Msg, "ipam.type") {
					t.Errorf("%s with ipam.type %q: %+v, want code 7 naming ipam.type", cmd, typ, e)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			h.leakCheck()
		})
	}
}

// A failing delegated plugin's own code comes back; a failure without a CNI
// error is 999, never 0.
func TestDelegatedErrorCodesIntegration(t *testing.T) {
	h := newHarness(t)
	dir := pluginDir(t, map[string]string{
		"busy":   `echo '{"cniVersion":"1.0.0","code":11,"msg":"host-local store locked"}'; exit 1`,
		"silent": `echo oops >&2; exit 3`,
		"zero":   `echo '{"cniVersion":"1.0.0","code":0,"msg":"no code"}'; exit 1`,
	})
	for typ, want := range map[string]uint{"busy": 11, "silent": 999, "zero": 999} {
		stdin := h.stdin("1.1.0", map[string]any{"ipam": map[string]any{"type": typ}})
		for _, cmd := range []string{"ADD", "DEL"} {
			e, _, _ := runBin(t, "calico", stdin, withPath(cniEnv(cmd, "cid-web-0", h.namespace()), dir))
			if e == nil || e.Code != want || !strings.Contains(e.Msg, typ) {
				t.Errorf("%s through %s: %+v, want code %d naming the plugin", cmd, typ, e, want)
			}
		}
	}
	h.leakCheck()
}

// A delegated plugin that hangs, behind a wrapper whose child keeps stdout
// open, is killed with its whole process group at the deadline: code 11.
func TestDelegatedPluginKilledAtDeadlineIntegration(t *testing.T) {
	h := newHarness(t)
	pids := filepath.Join(t.TempDir(), "pids")
	dir := pluginDir(t, map[string]string{
		"hang": "sleep 300 &\necho $! >> " + pids + "\necho $$ >> " + pids + "\nsleep 300",
	})
	stdin := h.stdin("1.1.0", map[string]any{"ipam": map[string]any{"type": "hang"}})
	start := time.Now()
	e, _, _ := runBin(t, "calico", stdin, withPath(cniEnv("ADD", "cid-web-0", h.namespace()), dir))
	took := time.Since(start)
	if e == nil || e.Code != 11 || !strings.Contains(e.Msg, "hang") {
		t.Errorf("ADD through a hanging plugin: %+v, want code 11 naming it", e)
	}
	if took > 12*time.Second {
		t.Errorf("ADD took %s, past the 10 s deadline", took)
	}
	b, _ := os.ReadFile(pids)
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d of the delegated plugin outlived the call", pid)
		}
	}
	h.leakCheck()
}

// alive reports whether pid is a running (not zombie) process, giving the
// kernel up to a second to deliver a kill already sent.
func alive(pid int) bool {
	deadline := time.Now().Add(time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		if f := strings.Fields(string(b)); len(f) > 2 && (f[2] == "Z" || f[2] == "X") {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		time.Sleep(20 * time.Millisecond) // polling /proc: there is nothing to wait on
	}
}

// host-local refuses unknown CNI_ARGS unless IgnoreUnknown is set; Calico
// adds it before delegating, so a runtime that does not (cnitool, a manual
// run) still works.
func TestDelegatedIPAMGetsIgnoreUnknownIntegration(t *testing.T) {
	hl, err := exec.LookPath("host-local")
	if err != nil {
		t.Fatalf("host-local not on PATH: run scripts/setup.sh and put its directory on PATH (%v)", err)
	}
	h := newHarness(t)
	dir := pluginDir(t, nil)
	os.Symlink(hl, filepath.Join(dir, "host-local"))
	stdin := h.stdin("1.1.0", map[string]any{"ipam": map[string]any{"type": "host-local", "subnet": "10.244.5.0/26",
		"rangeStart": "10.244.5.3", "rangeEnd": "10.244.5.62", "dataDir": filepath.Join(t.TempDir(), "hl")}})
	ns := h.namespace()
	if e, out, _ := runBin(t, "calico", stdin, withPath(cniEnv("ADD", "cid-web-0", ns), dir)); e != nil || !strings.Contains(out, "10.244.5.3") {
		t.Fatalf("ADD without IgnoreUnknown in CNI_ARGS: %+v %s", e, out)
	}
	if e, _, _ := runBin(t, "calico", stdin, withPath(cniEnv("DEL", "cid-web-0", ns), dir)); e != nil {
		t.Fatalf("DEL: %+v", e)
	}
	h.leakCheck()
}
