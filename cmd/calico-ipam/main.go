// Command calico-ipam is the Calico IPAM CNI plugin for Windows nodes.
package main

import "github.com/calico-win/cni/plugin"

func main() { plugin.MainIPAM() }
