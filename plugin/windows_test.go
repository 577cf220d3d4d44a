//go:build windows

package plugin

import (
	"os"
	"testing"

	"github.com/calico-win/cni/hns/sim"
)

// tempDir is t.TempDir without its RemoveAll, which fails under Wine.
func tempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "calico-win-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestWindowsDefaults(t *testing.T) {
	if got := defaultLockFile(); got != `c:\CalicoWindows\calico-win\ipam.lock` {
		t.Errorf("default IPAM lock = %s", got)
	}
	t.Setenv("CALICO_HNS_BACKEND", "sim")
	t.Setenv(sim.DirEnv, tempDir(t))
	c, err := openHNS()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*sim.Sim); !ok {
		t.Fatalf("CALICO_HNS_BACKEND=sim gave %T", c)
	}
}
