//go:build !windows

package plugin

import (
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// openHNS returns the HNS the plugin drives. HNS exists only on Windows;
// elsewhere it is the simulator, whose state directory is CALICO_HNS_SIM_DIR.
func openHNS() (hns.Client, error) { return sim.Open(sim.DefaultDir()) }
