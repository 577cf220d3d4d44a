package dataplane

import (
	"encoding/json"
	"net/netip"

	"github.com/calico-win/cni/hns"
)

// Mode is one networking mode: what its HNS network, host endpoint and pod
// endpoints look like. The dataplane's steps (lookup, lock, create, replace,
// attach, remove) are the same for every mode. Overlay returns the VXLAN
// mode.
type Mode interface {
	// networkType is the HNS network type.
	networkType() string
	// gateway is the pods' default gateway in block.
	gateway(block netip.Prefix) netip.Addr
	// subnetPolicies go into the network's subnet.
	subnetPolicies() []json.RawMessage
	// networkPolicies are added once the network exists; failing to add
	// them is not fatal for the pod, as in Calico.
	networkPolicies() []hns.Policy
	// hostEndpoint is the node's endpoint on network n (named
	// hostEndpointName(n)), or nil when the mode has none.
	hostEndpoint(n *hns.Network, block netip.Prefix, mgmt netip.Addr) *hns.Endpoint
	// hostEndpointCurrent reports whether ep, found on n, is as
	// hostEndpoint would create it.
	hostEndpointCurrent(ep *hns.Endpoint, mgmt netip.Addr) bool
	// podMAC is a pod endpoint's MAC ("" lets HNS choose one).
	podMAC(addr netip.Addr) string
	// podPolicies are the mode's own pod endpoint policies; they follow
	// the configured ones.
	podPolicies(mgmt netip.Addr) []hns.Policy
}

// hostEndpointName is the node's endpoint on network n, "<network>_ep".
func hostEndpointName(n *hns.Network) string { return n.Name + "_ep" }
