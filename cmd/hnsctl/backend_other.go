//go:build !windows

package main

// openBackend opens the simulator: there is no HNS off Windows.
func openBackend(dir string) (backend, error) { return openSim(dir) }
