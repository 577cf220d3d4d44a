package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/calico-win/cni/hns"
)

// OverlaySpec describes the VXLAN network calico-node creates on a Windows
// node (node-service.ps1 / ensureVxlanNetworkExists).
type OverlaySpec struct {
	Name         string       // "Calico"
	Subnet       netip.Prefix // the node's IPAM block, e.g. 10.244.5.0/26
	Gateway      netip.Addr   // zero: the first host address (.1)
	VNI          uint32       // zero: 4096, Calico's default
	ManagementIP netip.Addr   // the host adapter's address; zero: none
	AdapterName  string       // zero: "Ethernet"
}

// DefaultVNI is Calico's default VXLAN VNI (Windows rejects less than 4096).
const DefaultVNI = 4096

func (sp OverlaySpec) withDefaults() OverlaySpec {
	sp.Subnet = sp.Subnet.Masked()
	if !sp.Gateway.IsValid() {
		sp.Gateway = sp.Subnet.Addr().Next()
	}
	if sp.VNI == 0 {
		sp.VNI = DefaultVNI
	}
	if sp.AdapterName == "" {
		sp.AdapterName = "Ethernet"
	}
	return sp
}

// OverlayNetwork returns the create request for spec, in the shape of
// reference §1.7: Overlay, one static subnet with its default route and
// VSID, the adapter name, and (standing for the adapter's address) a
// ProviderAddress policy when spec has a management IP.
func OverlayNetwork(spec OverlaySpec) *hns.Network {
	sp := spec.withDefaults()
	vsid := hns.NewSubnetPolicy(hns.VSIDSetting{IsolationId: sp.VNI})
	return staticNetwork(sp.Name, "Overlay", sp.Subnet, sp.Gateway, sp.ManagementIP, sp.AdapterName, vsid)
}

// staticNetwork is the create request calico-node sends for a network of
// typ: one static subnet with its default route (and subnetPolicies), the
// adapter name and, standing for the adapter's address, a ProviderAddress
// policy when mgmt is set.
func staticNetwork(name, typ string, subnet netip.Prefix, gw, mgmt netip.Addr, adapter string, subnetPolicies ...json.RawMessage) *hns.Network {
	n := &hns.Network{
		Name: name,
		Type: typ,
		Ipams: []hns.Ipam{{Type: "Static", Subnets: []hns.Subnet{{
			IpAddressPrefix: subnet.String(),
			Routes:          []hns.Route{{NextHop: gw.String(), DestinationPrefix: "0.0.0.0/0"}},
			Policies:        subnetPolicies,
		}}}},
		Policies:      []hns.Policy{hns.NewPolicy(hns.NetAdapterNameSetting{NetworkAdapterName: adapter})},
		SchemaVersion: hns.V2,
	}
	if mgmt.IsValid() {
		n.Policies = append(n.Policies, hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: mgmt.String()}))
	}
	return n
}

// SetupOverlay does what calico-node does on a Windows VXLAN node: create
// the network (its management IP appearing after mgmtDelay), add the
// HostRoute policy, and create the "<name>_ep" host endpoint, a remote
// endpoint on the block's third address (.2) carrying the management IP as
// provider address. It returns the network as read back after creation.
func (s *Sim) SetupOverlay(ctx context.Context, spec OverlaySpec, mgmtDelay time.Duration) (*hns.Network, error) {
	sp := spec.withDefaults()
	n, err := s.CreateNetworkWithDelay(ctx, OverlayNetwork(sp), mgmtDelay)
	if err != nil {
		return nil, err
	}
	if err := s.AddNetworkPolicy(ctx, n.Id, []hns.Policy{hns.NewPolicy(hns.HostRouteSetting{})}); err != nil {
		return nil, fmt.Errorf("adding HostRoute: %w", err)
	}
	hostEP := &hns.Endpoint{
		Name:               sp.Name + "_ep",
		HostComputeNetwork: n.Id,
		IpConfigurations:   []hns.IpConfig{{IpAddress: sp.Subnet.Addr().Next().Next().String()}},
		Flags:              hns.EndpointFlagRemote,
		SchemaVersion:      hns.V2,
	}
	if sp.ManagementIP.IsValid() {
		hostEP.Policies = []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: sp.ManagementIP.String()})}
	}
	if _, err := s.CreateEndpoint(ctx, hostEP); err != nil {
		return nil, fmt.Errorf("creating host endpoint %s: %w", hostEP.Name, err)
	}
	return s.GetNetworkByID(ctx, n.Id)
}
