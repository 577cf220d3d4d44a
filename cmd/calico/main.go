// Command calico is the Calico CNI plugin for Windows nodes. Invoked as
// calico-ipam(.exe) it is the IPAM plugin, like Calico's single binary.
package main

import "github.com/calico-win/cni/plugin"

func main() { plugin.Main() }
