// Package plugin is the CNI side of calico-win: the network configuration,
// the calico and calico-ipam commands (ADD, DEL, CHECK, STATUS, GC), the
// workload endpoint the plugin records, and the mapping of errors to CNI codes.
// It orchestrates: config, datastore, IPAM (package ipam), dataplane (package
// dataplane, which owns everything HNS), result. It holds no IPAM or HNS
// logic of its own.
//
// Nothing else in the module imports it but the commands under cmd/.
package plugin
