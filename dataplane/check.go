package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
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
	return nil
}
