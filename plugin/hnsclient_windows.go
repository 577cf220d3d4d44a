//go:build windows

package plugin

import (
	"os"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/hcn"
	"github.com/calico-win/cni/hns/sim"
)

// openHNS returns real HNS, or the simulator when CALICO_HNS_BACKEND=sim
// (tests of the Windows build).
func openHNS() (hns.Client, error) {
	if os.Getenv(sim.BackendEnv) == "sim" {
		return sim.Open(sim.DefaultDir())
	}
	return hcn.New(), nil
}
