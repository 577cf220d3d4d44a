package sim

import (
	"encoding/json"
	"strings"

	"github.com/calico-win/cni/hns"
)

// What HNS accepts for one network type but not another. Assumptions (HNS
// documents none of this; the codes are those it gives for a policy or a
// network it cannot use):
//
//   - Overlay and L2Bridge networks need a subnet to hand addresses out of:
//     without one, 0x803b000a (the network configuration is invalid);
//   - the VSID subnet policy and the VxlanPort and RemoteSubnetRoute
//     network policies are VXLAN's: on another type, 0x803b000d;
//   - an endpoint's ProviderAddress policy is the VXLAN encapsulation's
//     outer address: on an L2Bridge network, 0x803b000d.

// overlayOnlyNetworkPolicies may only be on Overlay networks.
var overlayOnlyNetworkPolicies = []string{hns.VxlanPort, hns.RemoteSubnetRoute}

// checkNetworkType returns the code HNS refuses network n with for its
// type, or 0.
func checkNetworkType(n *hns.Network) uint32 {
	overlay := strings.EqualFold(n.Type, "Overlay")
	if (overlay || strings.EqualFold(n.Type, "L2Bridge")) && !hasSubnet(n) {
		return hns.InvalidNetworkConfig
	}
	if overlay {
		return 0
	}
	for _, ipam := range n.Ipams {
		for _, sn := range ipam.Subnets {
			for _, raw := range sn.Policies {
				var p hns.Policy
				if json.Unmarshal(raw, &p) == nil && p.Is(hns.VSID) {
					return hns.InvalidPolicy
				}
			}
		}
	}
	for _, p := range n.Policies {
		for _, t := range overlayOnlyNetworkPolicies {
			if p.Is(t) {
				return hns.InvalidPolicy
			}
		}
	}
	return 0
}

func hasSubnet(n *hns.Network) bool {
	for _, ipam := range n.Ipams {
		for _, sn := range ipam.Subnets {
			if sn.IpAddressPrefix != "" {
				return true
			}
		}
	}
	return false
}

// checkEndpointType returns the code HNS refuses endpoint policies ps with
// on network n, or 0.
func checkEndpointType(n *hns.Network, ps []hns.Policy) uint32 {
	if !strings.EqualFold(n.Type, "L2Bridge") {
		return 0
	}
	for _, p := range ps {
		if p.Is(hns.ProviderAddress) {
			return hns.InvalidPolicy
		}
	}
	return 0
}
