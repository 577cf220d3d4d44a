package dataplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/calico-win/cni/hns"
)

// CheckPod verifies what AttachPod set up for containerID: the endpoint
// exists on block's current network, is attached to namespace nsID and has
// address want. Each mismatch has its own message.
func (d *Dataplane) CheckPod(ctx context.Context, containerID, nsID string, block netip.Prefix, want netip.Addr) error {
	name := d.EndpointName(containerID)
	ep, err := d.hns.GetEndpointByName(ctx, name)
	if err != nil {
		return fmt.Errorf("CHECK: HNS endpoint %s: %w", name, err)
	}
	netName := d.NetworkName(block)
	n, err := d.hns.GetNetworkByName(ctx, netName)
	if err != nil {
		return fmt.Errorf("CHECK: HNS network %s: %w", netName, err)
	}
	if !strings.EqualFold(ep.HostComputeNetwork, n.Id) {
		return fmt.Errorf("CHECK: endpoint %s is on network %s, not on the current %s network %s", name, ep.HostComputeNetwork, netName, n.Id)
	}
	if !strings.EqualFold(ep.HostComputeNamespace, nsID) {
		return fmt.Errorf("CHECK: endpoint %s is attached to namespace %q, not to CNI_NETNS %s", name, ep.HostComputeNamespace, nsID)
	}
	if !hasAddr(ep, want) {
		return fmt.Errorf("CHECK: endpoint %s has addresses %v, prevResult has %s", name, ep.IpConfigurations, want)
	}
	return d.checkModeShape(ctx, ep, n, block, want)
}

// checkModeShape verifies what the mode gives a pod: its gateway, its MAC
// (when the mode derives one), its own policies, and the host endpoint
// given to the host (when the mode attaches one).
func (d *Dataplane) checkModeShape(ctx context.Context, ep *hns.Endpoint, n *hns.Network, block netip.Prefix, addr netip.Addr) error {
	gw := d.mode.podGateway(block).String()
	if !slices.ContainsFunc(ep.Routes, func(r hns.Route) bool { return r.DestinationPrefix == "0.0.0.0/0" && r.NextHop == gw }) {
		return fmt.Errorf("CHECK: endpoint %s has routes %v, not the %s network's default route via %s", ep.Name, ep.Routes, d.mode.networkType(), gw)
	}
	if mac := d.mode.podMAC(addr); mac != "" && !strings.EqualFold(ep.MacAddress, mac) {
		return fmt.Errorf("CHECK: endpoint %s has MAC %s, want %s", ep.Name, ep.MacAddress, mac)
	}
	mgmt, ok := ManagementIP(n)
	if !ok {
		return fmt.Errorf("CHECK: HNS network %s has no management IP", n.Name)
	}
	for _, p := range d.mode.podPolicies(mgmt) {
		if !slices.ContainsFunc(ep.Policies, func(q hns.Policy) bool { return samePolicy(p, q) }) {
			return fmt.Errorf("CHECK: endpoint %s lacks the %s policy %s", ep.Name, p.Type, p.Settings)
		}
	}
	if !d.mode.attachesHost() {
		return nil
	}
	req := d.mode.hostEndpoint(n, block, mgmt)
	hep, err := d.hns.GetEndpointByName(ctx, req.Name)
	if err != nil {
		return fmt.Errorf("CHECK: host endpoint %s: %w", req.Name, err)
	}
	st, err := d.hostEndpointState(ctx, hep, n, block, mgmt)
	switch {
	case err != nil:
		return fmt.Errorf("CHECK: %w", err)
	case st == hostEPUnattached:
		return fmt.Errorf("CHECK: host endpoint %s is not attached to the host", req.Name)
	case st == hostEPStale:
		return fmt.Errorf("CHECK: host endpoint %s (network %s, addresses %v, namespace %q) is not the host's vNIC at %s on network %s",
			req.Name, hep.HostComputeNetwork, hep.IpConfigurations, hep.HostComputeNamespace, hostEndpointAddr(block), n.Id)
	}
	return nil
}

// samePolicy compares policies as HNS does: type names case-insensitively,
// settings as JSON values.
func samePolicy(a, b hns.Policy) bool {
	if !strings.EqualFold(a.Type, b.Type) {
		return false
	}
	var x, y any
	if json.Unmarshal(a.Settings, &x) != nil || json.Unmarshal(b.Settings, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
