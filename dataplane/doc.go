// Package dataplane is the HNS side of a pod: the node's HNS network for a
// block (created or replaced under a node lock), the node's host endpoint on
// it, and the pod's endpoint (its policies, MAC, DNS and route) attached to
// the pod's namespace, and their removal. What differs between networking
// modes (network type, gateway, subnet and network policies, host endpoint,
// pod MAC and the mode's own pod policies) lives in one Mode per mode
// (overlay.go); the rest is shared.
//
// It is configured by Options, never by the plugin's netconf, and talks to
// HNS only through hns.Client, so it runs in-process against the simulator
// in tests. It must not import plugin, ipam or any datastore package.
package dataplane
