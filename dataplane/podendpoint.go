package dataplane

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/hns"
)

// Pod is what ADD asks of the dataplane for one pod.
type Pod struct {
	ContainerID string
	NamespaceID string
	Addr        netip.Addr
	Block       netip.Prefix
	Pools       []Pool
}

// AttachPod makes sure the pod's endpoint exists on network n with its
// address and is attached to the pod's namespace. An endpoint of ours left on
// another network (the network was recreated) or with another address is
// replaced. created reports whether this call created the endpoint, so a
// failure later in ADD removes only what this call made. When attaching the
// endpoint it created fails, AttachPod returns it with created set and the
// error: the caller removes it on its undo budget (the usual reason to fail
// is the caller's deadline, which an undo here would share).
func (d *Dataplane) AttachPod(ctx context.Context, n *hns.Network, mgmt netip.Addr, p Pod) (ep *hns.Endpoint, created bool, err error) {
	name := d.EndpointName(p.ContainerID)
	ep, err = d.hns.GetEndpointByName(ctx, name)
	switch {
	case err == nil && strings.EqualFold(ep.HostComputeNetwork, n.Id) && hasAddr(ep, p.Addr) &&
		(isZeroGUID(ep.HostComputeNamespace) || strings.EqualFold(ep.HostComputeNamespace, p.NamespaceID)):
		// A repeated ADD: reuse.
	case err == nil:
		slog.Info("replacing stale pod endpoint", "endpoint", name, "network", ep.HostComputeNetwork, "namespace", ep.HostComputeNamespace)
		if err := d.RemoveEndpoint(ctx, ep); err != nil {
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
	if strings.EqualFold(ep.HostComputeNamespace, p.NamespaceID) {
		return ep, created, nil
	}
	if err := d.hns.AttachEndpoint(ctx, p.NamespaceID, ep.Id); err != nil {
		err = fmt.Errorf("attaching endpoint %s to namespace %s: %w", name, p.NamespaceID, err)
		if created {
			// The attach may have landed all the same: the undo detaches
			// first ("not attached" counts as done).
			ep.HostComputeNamespace = p.NamespaceID
			return ep, true, err
		}
		return nil, false, err
	}
	ep.HostComputeNamespace = p.NamespaceID
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

func (d *Dataplane) createPodEndpoint(ctx context.Context, n *hns.Network, mgmt netip.Addr, name string, p Pod) (*hns.Endpoint, error) {
	policies, err := d.endpointPolicies(p.Pools, p.Addr, mgmt)
	if err != nil {
		return nil, err
	}
	req := &hns.Endpoint{
		Name: name, HostComputeNetwork: n.Id, Policies: policies,
		IpConfigurations: []hns.IpConfig{{IpAddress: p.Addr.String()}},
		Dns:              d.opt.DNS,
		Routes:           []hns.Route{{NextHop: d.mode.podGateway(p.Block).String(), DestinationPrefix: "0.0.0.0/0"}},
		MacAddress:       d.mode.podMAC(p.Addr),
		SchemaVersion:    hns.V2,
	}
	ep, err := d.hns.CreateEndpoint(ctx, req)
	if hns.Code(err) == hns.AddrInvalidOrReserved {
		// IPAM gave us this address, so an endpoint of ours still holding it
		// is a leftover of a pod whose DEL never completed.
		if cerr := d.removeStaleHolders(ctx, n, p.Addr); cerr != nil {
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
func (d *Dataplane) removeStaleHolders(ctx context.Context, n *hns.Network, addr netip.Addr) error {
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
		if ep.Flags&hns.EndpointFlagRemote != 0 || ep.Name == hostEndpointName(n) || !strings.HasSuffix(ep.Name, "_"+d.opt.Name) {
			return fmt.Errorf("%w: %s is held by endpoint %q (%s)", errEndpointConflict, addr, ep.Name, ep.Id)
		}
		slog.Warn("removing a leaked endpoint that holds our address", "endpoint", ep.Name, "ip", addr)
		if err := d.RemoveEndpoint(ctx, ep); err != nil {
			return err
		}
		removed++
	}
	if removed == 0 {
		return fmt.Errorf("%w: no endpoint of this network holds %s", errEndpointConflict, addr)
	}
	return nil
}
