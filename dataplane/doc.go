// Package dataplane is the HNS side of a pod: the node's HNS network for a
// block (created or replaced under a node lock), the node's host endpoint on
// it, and the pod's endpoint (its policies, MAC, DNS and route) attached to
// the pod's namespace, and their removal. What differs between networking
// modes (network type, gateway, subnet and network policies, host endpoint,
// pod MAC, the mode's own pod policies, whether the host endpoint is given
// to the host and which host interfaces forward) lives in one Mode per mode
// (overlay.go: VXLAN, l2bridge.go: BGP); the rest is shared. Forwarding on
// host interfaces goes through hostnet.Forwarder (Options.Host). What the
// plugin needs to know of HNS it asks here too (podendpoints.go: a conf's pod
// endpoints, for GC; namespace.go: whether a namespace exists; networkinfo.go
// and status.go: a network's subnets, DR MAC and readiness), so the plugin
// holds no HNS logic.
//
// It is configured by Options, never by the plugin's netconf, and talks to
// HNS only through hns.Client, so it runs in-process against the simulator
// in tests. It must not import plugin, ipam or any datastore package.
package dataplane
