// Package plugin is the CNI side of calico-win: the network configuration,
// the calico and calico-ipam commands (ADD, DEL, CHECK, STATUS, GC), the
// workload endpoint the plugin records, and the mapping of errors to CNI codes.
// It orchestrates: config, datastore, IPAM (package ipam), dataplane (package
// dataplane, which owns everything HNS), result. It holds no IPAM or HNS
// logic of its own: of package hns it uses only the types it hands from the
// HNS client to the dataplane and back (Client, Network, Endpoint, with the
// endpoint's name, ID and MAC it reports), the DNS it maps from the netconf,
// and the error classifiers with which errors.go maps HNS errors to CNI
// codes. Looking up, listing or interpreting HNS objects is the dataplane's
// (internal/layering checks this).
//
// Nothing else in the module imports it but the commands under cmd/.
package plugin
