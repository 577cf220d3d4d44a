package sim

import (
	"context"
	"net/netip"
	"time"

	"github.com/calico-win/cni/hns"
)

// L2BridgeSpec describes the L2Bridge network calico-node creates on a
// Windows node of a BGP cluster (windows-bgp backend).
type L2BridgeSpec struct {
	Name         string       // "Calico"
	Subnet       netip.Prefix // the node's IPAM block, e.g. 10.244.5.0/26
	Gateway      netip.Addr   // zero: the first host address (.1)
	ManagementIP netip.Addr   // the host adapter's address; zero: none
	AdapterName  string       // zero: "Ethernet"
}

// L2BridgeNetwork returns the create request for spec: L2Bridge, one
// static subnet with its default route, the adapter name and (standing for
// the adapter's address) a ProviderAddress policy when spec has a
// management IP.
func L2BridgeNetwork(spec L2BridgeSpec) *hns.Network {
	sp := spec
	sp.Subnet = sp.Subnet.Masked()
	if !sp.Gateway.IsValid() {
		sp.Gateway = sp.Subnet.Addr().Next()
	}
	if sp.AdapterName == "" {
		sp.AdapterName = "Ethernet"
	}
	return staticNetwork(sp.Name, "L2Bridge", sp.Subnet, sp.Gateway, sp.ManagementIP, sp.AdapterName)
}

// SetupL2Bridge creates the network calico-node creates in BGP mode, its
// management IP appearing after mgmtDelay. The host endpoint is the CNI
// plugin's to create and attach.
func (s *Sim) SetupL2Bridge(ctx context.Context, spec L2BridgeSpec, mgmtDelay time.Duration) (*hns.Network, error) {
	return s.CreateNetworkWithDelay(ctx, L2BridgeNetwork(spec), mgmtDelay)
}
