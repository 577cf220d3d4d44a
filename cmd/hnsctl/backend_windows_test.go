package main

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns/sim"
)

// hnsctl.exe shows the HNS calico.exe uses: the simulator with
// CALICO_HNS_BACKEND=sim (in $CALICO_HNS_SIM_DIR, else the default
// directory), or the one --dir names; real HNS otherwise.
func TestWindowsBackendFollowsPlugin(t *testing.T) {
	tmp, err := os.MkdirTemp("", "hnsctl-")
	if err != nil {
		t.Fatal(err)
	}
	// RemoveAll fails under Wine on some trees; a failure here is harmless.
	t.Cleanup(func() { os.RemoveAll(tmp) })
	envDir, flagDir := filepath.Join(tmp, "env"), filepath.Join(tmp, "flag")
	for _, d := range []string{envDir, flagDir} {
		s, err := sim.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetupOverlay(context.Background(), sim.OverlaySpec{Name: "Net-" + filepath.Base(d),
			Subnet: netip.MustParsePrefix("10.244.5.0/26"), ManagementIP: netip.MustParseAddr("10.0.0.4")}, 0); err != nil {
			t.Fatal(err)
		}
	}
	run1 := func(args ...string) (int, string, string) {
		var out, errOut strings.Builder
		code := run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	t.Setenv("CALICO_HNS_BACKEND", "sim")
	t.Setenv(sim.DirEnv, envDir)
	if code, out, errOut := run1("network", "list"); code != 0 || !strings.Contains(out, "Net-env") {
		t.Errorf("CALICO_HNS_BACKEND=sim: exit %d, stdout %q, stderr %q; want the simulator's network Net-env", code, out, errOut)
	}
	if code, out, errOut := run1("--dir", flagDir, "network", "list"); code != 0 || !strings.Contains(out, "Net-flag") {
		t.Errorf("--dir: exit %d, stdout %q, stderr %q; want the network of --dir", code, out, errOut)
	}
	// --dir alone selects the simulator, which is writable.
	t.Setenv("CALICO_HNS_BACKEND", "")
	if code, out, errOut := run1("network", "list", "--dir", flagDir); code != 0 || !strings.Contains(out, "Net-flag") {
		t.Errorf("--dir without CALICO_HNS_BACKEND: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := run1("--dir", flagDir, "namespace", "create"); code != 0 {
		t.Errorf("--dir namespace create: exit %d, stderr %q; the simulator is not read-only", code, errOut)
	}
}
