//go:build windows

package plugin

import (
	"testing"

	"github.com/calico-win/cni/hns/hcn"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/hostnet"
	"github.com/calico-win/cni/internal/testdir"
)

// On Windows the L2Bridge mode's forwarding goes to the simulated host when
// HNS is the simulator, and to the IP Helper API when it is real HNS.
func TestWindowsHostForwarder(t *testing.T) {
	s, err := sim.Open(testdir.New(t))
	if err != nil {
		t.Fatal(err)
	}
	if f := hostOf(s); f != hostnet.Forwarder(s) {
		t.Errorf("hostOf(simulator) = %T", f)
	}
	if f := hostOf(hcn.New()); f != hostnet.Native() {
		t.Errorf("hostOf(real HNS) = %T, want the native forwarder", f)
	}
}
