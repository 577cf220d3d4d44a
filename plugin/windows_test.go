//go:build windows

package plugin

import (
	"testing"

	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/testdir"
)

func TestWindowsDefaults(t *testing.T) {
	if got := defaultLockFile(); got != `c:\CalicoWindows\calico-win\ipam.lock` {
		t.Errorf("default IPAM lock = %s", got)
	}
	t.Setenv("CALICO_HNS_BACKEND", "sim")
	t.Setenv(sim.DirEnv, testdir.New(t))
	c, err := openHNS()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*sim.Sim); !ok {
		t.Fatalf("CALICO_HNS_BACKEND=sim gave %T", c)
	}
}
