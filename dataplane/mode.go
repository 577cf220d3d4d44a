package dataplane

import (
	"encoding/json"
	"net/netip"

	"github.com/calico-win/cni/hns"
)

// Mode is one networking mode: what its HNS network, host endpoint and pod
// endpoints look like. The dataplane's steps (lookup, lock, create, replace,
// attach, remove) are the same for every mode. Overlay returns the VXLAN
// mode, L2Bridge the BGP one.
type Mode interface {
	// networkType is the HNS network type.
	networkType() string
	// gateway is the network's gateway in block (its subnet's default route).
	gateway(block netip.Prefix) netip.Addr
	// podGateway is the pods' default gateway in block.
	podGateway(block netip.Prefix) netip.Addr
	// subnetPolicies go into the network's subnet.
	subnetPolicies() []json.RawMessage
	// networkPolicies are added once the network exists; failing to add
	// them is not fatal for the pod, as in Calico.
	networkPolicies() []hns.Policy
	// hostEndpoint is the node's endpoint on network n (named
	// hostEndpointName(n)), or nil when the mode has none.
	hostEndpoint(n *hns.Network, block netip.Prefix, mgmt netip.Addr) *hns.Endpoint
	// hostEndpointCurrent reports whether ep, found on n at the address
	// hostEndpoint gives it, is as hostEndpoint would create it.
	hostEndpointCurrent(ep *hns.Endpoint, mgmt netip.Addr) bool
	// attachesHost: the host endpoint is the host's own vNIC on the
	// network, attached to the host's default namespace (Calico's
	// HostAttach), rather than a detached endpoint.
	attachesHost() bool
	// forwardingAddrs name, by address, the host interfaces that must
	// forward the pods' traffic (IPv4 forwarding on).
	forwardingAddrs(block netip.Prefix, mgmt netip.Addr) []netip.Addr
	// hostEndpointMAC is the host endpoint's MAC ("" lets HNS choose one),
	// asked only when the endpoint is created: finding it lists the host's
	// interfaces, which costs more than the rest of a steady-state ADD's
	// HNS work (netlink dumps here, GetAdaptersAddresses on Windows).
	hostEndpointMAC(mgmt netip.Addr) string
	// podMAC is a pod endpoint's MAC ("" lets HNS choose one).
	podMAC(addr netip.Addr) string
	// podPolicies are the mode's own pod endpoint policies; they follow
	// the configured ones.
	podPolicies(mgmt netip.Addr) []hns.Policy
}

// hostEndpointName is the node's endpoint on network n, "<network>_ep".
func hostEndpointName(n *hns.Network) string { return n.Name + "_ep" }

// hostEndpointAddr is the host endpoint's address in block, .2, in every
// mode; IPAM reserves it.
func hostEndpointAddr(block netip.Prefix) netip.Addr { return block.Masked().Addr().Next().Next() }
