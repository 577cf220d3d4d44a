package dataplane

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/hns"
)

// overlay is Calico's VXLAN mode: an HNS Overlay network per block (or one
// for the node), the node reached through a remote host endpoint carrying
// its provider address, pod MACs derived from the address.
type overlay struct {
	vni       uint32
	macPrefix string
}

// Overlay is the VXLAN mode with VNI vni and the "xx-xx" pod MAC prefix
// macPrefix.
func Overlay(vni uint32, macPrefix string) Mode { return overlay{vni: vni, macPrefix: macPrefix} }

func (overlay) networkType() string { return "Overlay" }

// gateway is the block's .1: the pods' default gateway and the VXLAN tunnel address.
func (overlay) gateway(block netip.Prefix) netip.Addr { return block.Masked().Addr().Next() }

// podGateway: the pods route through the network's gateway, .1.
func (o overlay) podGateway(block netip.Prefix) netip.Addr { return o.gateway(block) }

// attachesHost: the host endpoint is a remote endpoint carrying the
// provider address; the host reaches pods through the HostRoute policy.
func (overlay) attachesHost() bool { return false }

// forwardingAddrs: VXLAN needs no forwarding on host interfaces.
func (overlay) forwardingAddrs(netip.Prefix, netip.Addr) []netip.Addr { return nil }

func (o overlay) subnetPolicies() []json.RawMessage {
	return []json.RawMessage{hns.NewSubnetPolicy(hns.VSIDSetting{IsolationId: o.vni})}
}

// networkPolicies: host-to-pod traffic needs the HostRoute policy.
func (overlay) networkPolicies() []hns.Policy {
	return []hns.Policy{hns.NewPolicy(hns.HostRouteSetting{})}
}

// hostEndpoint is the node's remote endpoint at the block's .2 carrying the
// provider address, with the MAC of the host interface holding the
// management IP (filled in when it is created: see hostMAC).
func (o overlay) hostEndpoint(n *hns.Network, block netip.Prefix, mgmt netip.Addr) *hns.Endpoint {
	return &hns.Endpoint{
		Name: hostEndpointName(n), HostComputeNetwork: n.Id, Flags: hns.EndpointFlagRemote,
		IpConfigurations: []hns.IpConfig{{IpAddress: hostEndpointAddr(block).String()}},
		Policies:         []hns.Policy{providerAddress(mgmt)},
		SchemaVersion:    hns.V2,
	}
}

func (overlay) hostEndpointCurrent(ep *hns.Endpoint, mgmt netip.Addr) bool {
	for _, p := range ep.Policies {
		if p.Is(hns.ProviderAddress) {
			if s, err := hns.Decode[hns.ProviderAddressSetting](p); err == nil && s.ProviderAddress == mgmt.String() {
				return true
			}
		}
	}
	return false
}

// hostEndpointMAC: the host endpoint carries the MAC of the host interface
// holding the management IP.
func (overlay) hostEndpointMAC(mgmt netip.Addr) string { return hostMAC(mgmt) }

// podMAC is Calico's VXLAN pod MAC: the prefix and the 4 address bytes in
// lower-case hex (10.244.1.5 with 0E-2A -> 0E-2A-0a-f4-01-05).
func (o overlay) podMAC(ip netip.Addr) string {
	b := ip.As4()
	return fmt.Sprintf("%s-%02x-%02x-%02x-%02x", o.macPrefix, b[0], b[1], b[2], b[3])
}

// podPolicies: the node's management IP as the pod's provider address.
func (overlay) podPolicies(mgmt netip.Addr) []hns.Policy { return []hns.Policy{providerAddress(mgmt)} }

func providerAddress(a netip.Addr) hns.Policy {
	return hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: a.String()})
}

// hostMAC is the MAC of the host interface holding the management IP, in
// HNS's dashed form ("" when no interface has it, e.g. under the simulator:
// HNS then assigns one).
func hostMAC(mgmt netip.Addr) string {
	ifs, _ := net.Interfaces()
	for _, itf := range ifs {
		addrs, _ := itf.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap() == mgmt && len(itf.HardwareAddr) == 6 {
					return strings.ToUpper(strings.ReplaceAll(itf.HardwareAddr.String(), ":", "-"))
				}
			}
		}
	}
	return ""
}
