package dataplane

import (
	"encoding/json"
	"net/netip"

	"github.com/calico-win/cni/hns"
)

// l2bridge is Calico's BGP mode (mode "windows-bgp", or empty): an HNS
// L2Bridge network per block (or one for the node) whose pods are routed
// by the host. The host endpoint at the block's .2 is the host's own vNIC
// on the bridge (attached to the host's default namespace) and the pods'
// gateway; the host forwards between it and the management interface. HNS
// picks the pod MACs. Calico's SetupL2bridgeNetwork, CreateAndAttachHostEP,
// chkMgmtIPandEnableForwarding and the L2Bridge half of
// createAndAttachContainerEP.
type l2bridge struct{}

// L2Bridge is the BGP mode.
func L2Bridge() Mode { return l2bridge{} }

func (l2bridge) networkType() string { return "L2Bridge" }

// gateway: the network's gateway is the block's .1, as Calico creates it
// (the address is unused on the node: the pods route through .2).
func (l2bridge) gateway(block netip.Prefix) netip.Addr { return block.Masked().Addr().Next() }

// podGateway is the host endpoint, .2: the host routes the pods' traffic.
func (l2bridge) podGateway(block netip.Prefix) netip.Addr { return hostEndpointAddr(block) }

func (l2bridge) subnetPolicies() []json.RawMessage { return nil }
func (l2bridge) networkPolicies() []hns.Policy     { return nil }

// hostEndpoint is a local endpoint at .2 that AttachHost gives the host.
func (l2bridge) hostEndpoint(n *hns.Network, block netip.Prefix, _ netip.Addr) *hns.Endpoint {
	return &hns.Endpoint{
		Name: hostEndpointName(n), HostComputeNetwork: n.Id,
		IpConfigurations: []hns.IpConfig{{IpAddress: hostEndpointAddr(block).String()}},
		SchemaVersion:    hns.V2,
	}
}

// hostEndpointCurrent: a local endpoint (the network and address are
// checked by the dataplane, the attachment by attachesHost).
func (l2bridge) hostEndpointCurrent(ep *hns.Endpoint, _ netip.Addr) bool {
	return ep.Flags&hns.EndpointFlagRemote == 0
}

func (l2bridge) attachesHost() bool { return true }

// forwardingAddrs: the management interface and the host endpoint's vNIC,
// as Calico's chkMgmtIPandEnableForwarding.
func (l2bridge) forwardingAddrs(block netip.Prefix, mgmt netip.Addr) []netip.Addr {
	return []netip.Addr{mgmt, hostEndpointAddr(block)}
}

// hostEndpointMAC: HNS picks the host endpoint's MAC.
func (l2bridge) hostEndpointMAC(netip.Addr) string { return "" }

// podMAC: HNS assigns one from the network's MAC pool.
func (l2bridge) podMAC(netip.Addr) string { return "" }

// podPolicies: traffic to the management IP is encapsulated (Calico: needed
// for NodePorts; the encapsulation stays on the host).
func (l2bridge) podPolicies(mgmt netip.Addr) []hns.Policy {
	return []hns.Policy{hns.NewPolicy(hns.SDNRouteSetting{DestinationPrefix: netip.PrefixFrom(mgmt, 32).String(), NeedEncap: true})}
}
