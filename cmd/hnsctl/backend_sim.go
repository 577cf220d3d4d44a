package main

import "github.com/calico-win/cni/hns/sim"

// openSim opens the simulator in dir ("" = sim.DefaultDir(), which follows
// $CALICO_HNS_SIM_DIR as the plugin does).
func openSim(dir string) (backend, error) {
	if dir == "" {
		dir = sim.DefaultDir()
	}
	s, err := sim.Open(dir)
	if err != nil {
		return nil, err
	}
	return simBackend{s}, nil
}
