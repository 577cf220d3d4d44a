//go:build !windows

package main

import "github.com/calico-win/cni/hns/sim"

// openBackend opens the simulator: there is no HNS off Windows.
func openBackend(dir string) (backend, error) {
	if dir == "" {
		dir = sim.DefaultDir()
	}
	s, err := sim.Open(dir)
	if err != nil {
		return nil, err
	}
	return simBackend{s}, nil
}
