package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
)

// podEndpoint is what ADD asks of the dataplane for one pod.
type podEndpoint struct {
	containerID string
	namespaceID string
	addr        netip.Addr
	block       netip.Prefix
	pools       []datastore.IPPool
}

// attachPod makes sure the pod's endpoint exists on network n with its
// address and is attached to the pod's namespace. An endpoint of ours left on
// another network (the network was recreated) or with another address is
// replaced. created reports whether this call created the endpoint, so a
// failure later in ADD removes only what this call made.
func (d *dataplane) attachPod(ctx context.Context, n *hns.Network, mgmt netip.Addr, p podEndpoint) (ep *hns.Endpoint, created bool, err error) {
	name := endpointName(p.containerID, d.nc.Name)
	ep, err = d.hns.GetEndpointByName(ctx, name)
	switch {
	case err == nil && strings.EqualFold(ep.HostComputeNetwork, n.Id) && hasAddr(ep, p.addr) &&
		(isZeroGUID(ep.HostComputeNamespace) || strings.EqualFold(ep.HostComputeNamespace, p.namespaceID)):
		// A repeated ADD: reuse.
	case err == nil:
		slog.Info("replacing stale pod endpoint", "endpoint", name, "network", ep.HostComputeNetwork, "namespace", ep.HostComputeNamespace)
		if err := d.removeEndpoint(ctx, ep); err != nil {
			return nil, false, err
		}
		ep = nil
	case hns.IsNotFound(err):
		ep = nil
	default:
		return nil, false, fmt.Errorf("looking up endpoint %s: %w", name, err)
	}
	if ep == nil {
		if ep, err = d.createPodEndpoint(ctx, n, mgmt, name, p); err != nil {
			return nil, false, err
		}
		created = true
	}
	if strings.EqualFold(ep.HostComputeNamespace, p.namespaceID) {
		return ep, created, nil
	}
	if err := d.hns.AttachEndpoint(ctx, p.namespaceID, ep.Id); err != nil {
		if created {
			if rerr := d.removeEndpoint(ctx, ep); rerr != nil {
				slog.Error("could not remove the endpoint after a failed attach", "endpoint", name, "err", rerr)
			}
		}
		return nil, false, fmt.Errorf("attaching endpoint %s to namespace %s: %w", name, p.namespaceID, err)
	}
	ep.HostComputeNamespace = p.namespaceID
	return ep, created, nil
}

func hasAddr(ep *hns.Endpoint, a netip.Addr) bool {
	for _, c := range ep.IpConfigurations {
		if c.IpAddress == a.String() {
			return true
		}
	}
	return false
}

func (d *dataplane) createPodEndpoint(ctx context.Context, n *hns.Network, mgmt netip.Addr, name string, p podEndpoint) (*hns.Endpoint, error) {
	policies, err := endpointPolicies(d.nc, p.pools, p.addr, mgmt)
	if err != nil {
		return nil, err
	}
	req := &hns.Endpoint{
		Name: name, HostComputeNetwork: n.Id, Policies: policies,
		IpConfigurations: []hns.IpConfig{{IpAddress: p.addr.String()}},
		Dns:              endpointDNS(d.nc),
		Routes:           []hns.Route{{NextHop: gateway(p.block).String(), DestinationPrefix: "0.0.0.0/0"}},
		MacAddress:       endpointMAC(d.nc.VXLANMacPrefix, p.addr),
		SchemaVersion:    hns.V2,
	}
	ep, err := d.hns.CreateEndpoint(ctx, req)
	if hns.Code(err) == hns.AddrInvalidOrReserved {
		// IPAM gave us this address, so an endpoint of ours still holding it
		// is a leftover of a pod whose DEL never completed.
		if cerr := d.removeStaleHolders(ctx, n, p.addr); cerr != nil {
			return nil, fmt.Errorf("creating endpoint %s: %w (%w)", name, err, cerr)
		}
		ep, err = d.hns.CreateEndpoint(ctx, req)
	}
	if err != nil {
		return nil, fmt.Errorf("creating endpoint %s: %w", name, err)
	}
	return ep, nil
}

// removeStaleHolders deletes this network's local pod endpoints (ours by
// name) that hold addr. Remote endpoints, the host endpoint and endpoints
// of other software are never touched: for them the conflict is reported.
func (d *dataplane) removeStaleHolders(ctx context.Context, n *hns.Network, addr netip.Addr) error {
	eps, err := d.hns.ListEndpointsOfNetwork(ctx, n.Id)
	if err != nil {
		return err
	}
	removed := 0
	for i := range eps {
		ep := &eps[i]
		if !hasAddr(ep, addr) {
			continue
		}
		if ep.Flags&hns.EndpointFlagRemote != 0 || ep.Name == n.Name+"_ep" || !strings.HasSuffix(ep.Name, "_"+d.nc.Name) {
			return fmt.Errorf("%w: %s is held by endpoint %q (%s)", errEndpointConflict, addr, ep.Name, ep.Id)
		}
		slog.Warn("removing a leaked endpoint that holds our address", "endpoint", ep.Name, "ip", addr)
		if err := d.removeEndpoint(ctx, ep); err != nil {
			return err
		}
		removed++
	}
	if removed == 0 {
		return fmt.Errorf("%w: no endpoint of this network holds %s", errEndpointConflict, addr)
	}
	return nil
}
