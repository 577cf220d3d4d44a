package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hostnet"
	"github.com/calico-win/cni/internal/flock"
)

// hostEPState is what the node's host endpoint needs.
type hostEPState int

const (
	hostEPCurrent    hostEPState = iota // as the mode would create it
	hostEPUnattached                    // right, but not yet given to the host
	hostEPStale                         // to be deleted and created again
)

// ensureHostEndpoint makes sure the mode's host endpoint ("<network>_ep")
// exists on this network, as the mode would create it, and is given to the
// host when the mode attaches it. A host endpoint already attached is never
// attached again (Calico #4280: 0x803b0014 on every ADD).
func (d *Dataplane) ensureHostEndpoint(ctx context.Context, n *hns.Network, block netip.Prefix, mgmt netip.Addr) error {
	req := d.mode.hostEndpoint(n, block, mgmt)
	if req == nil {
		return nil
	}
	name := req.Name
	ep, err := d.hns.GetEndpointByName(ctx, name)
	if err == nil {
		st, err := d.hostEndpointState(ctx, ep, n, block, mgmt)
		if err != nil || st == hostEPCurrent {
			return err
		}
	} else if !hns.IsNotFound(err) {
		// Never create a second Calico_ep because a lookup failed (Calico #9142).
		return fmt.Errorf("looking up host endpoint %s: %w", name, err)
	}
	unlock, err := flock.Lock(ctx, d.opt.LockPath)
	if err != nil {
		return err
	}
	defer unlock()
	st := hostEPStale
	if ep, err = d.hns.GetEndpointByName(ctx, name); err == nil {
		if st, err = d.hostEndpointState(ctx, ep, n, block, mgmt); err != nil || st == hostEPCurrent {
			return err
		}
		if st == hostEPStale {
			// Detached first: a host endpoint may be in the host's namespace.
			if err := d.RemoveEndpoint(ctx, ep); err != nil {
				return fmt.Errorf("removing stale host endpoint: %w", err)
			}
		}
	} else if !hns.IsNotFound(err) {
		return fmt.Errorf("looking up host endpoint %s: %w", name, err)
	}
	if st == hostEPStale {
		req.MacAddress = d.mode.hostEndpointMAC(mgmt)
		if ep, err = d.hns.CreateEndpoint(ctx, req); err != nil {
			return fmt.Errorf("creating host endpoint %s: %w", name, err)
		}
		slog.Info("created host endpoint", "name", name, "ip", req.IpConfigurations[0].IpAddress)
	}
	if !d.mode.attachesHost() {
		return nil
	}
	return d.attachHost(ctx, ep)
}

// hostEndpointState compares ep, the endpoint named as the host endpoint,
// with what the mode wants on n.
func (d *Dataplane) hostEndpointState(ctx context.Context, ep *hns.Endpoint, n *hns.Network, block netip.Prefix, mgmt netip.Addr) (hostEPState, error) {
	if !strings.EqualFold(ep.HostComputeNetwork, n.Id) || !hasAddr(ep, hostEndpointAddr(block)) || !d.mode.hostEndpointCurrent(ep, mgmt) {
		return hostEPStale, nil
	}
	if !d.mode.attachesHost() {
		return hostEPCurrent, nil
	}
	if isZeroGUID(ep.HostComputeNamespace) {
		return hostEPUnattached, nil
	}
	ns, err := d.hns.GetNamespaceByID(ctx, ep.HostComputeNamespace)
	switch {
	case hns.IsNotFound(err):
		return hostEPStale, nil
	case err != nil:
		return 0, fmt.Errorf("looking up the namespace of host endpoint %s: %w", ep.Name, err)
	case strings.EqualFold(ns.Type, hns.NamespaceHostDefault):
		return hostEPCurrent, nil
	}
	// In some other namespace: HNS would refuse to attach it to the host.
	return hostEPStale, nil
}

// attachHost gives the host endpoint to the host: HNS v2's form of
// Calico's HostAttach(1).
func (d *Dataplane) attachHost(ctx context.Context, ep *hns.Endpoint) error {
	ns, err := d.hns.HostNamespace(ctx)
	if err != nil {
		return fmt.Errorf("looking up the host's namespace: %w", err)
	}
	err = d.hns.AttachEndpoint(ctx, ns.Id, ep.Id)
	if hns.Code(err) == hns.EndpointAlreadyAttached {
		// Attached meanwhile: what we wanted.
		return nil
	}
	if err != nil {
		return fmt.Errorf("attaching host endpoint %s to the host: %w", ep.Name, err)
	}
	slog.Info("attached host endpoint to the host", "name", ep.Name, "namespace", ns.Id)
	return nil
}

// enableForwarding turns forwarding on for the host interfaces the mode
// names, on every ADD (it repairs what a reboot or an operator reset; an
// interface that forwards already costs two reads). An interface that does
// not hold its address yet is "try again later", not a wait.
func (d *Dataplane) enableForwarding(ctx context.Context, block netip.Prefix, mgmt netip.Addr) error {
	addrs := d.mode.forwardingAddrs(block, mgmt)
	if len(addrs) == 0 {
		return nil
	}
	if d.opt.Host == nil {
		return errors.New("dataplane: the mode needs host forwarding, and no host is configured")
	}
	for _, a := range addrs {
		err := d.opt.Host.EnableForwarding(ctx, a)
		if errors.Is(err, hostnet.ErrNoInterface) {
			return fmt.Errorf("%w: enabling forwarding: %w", ErrNotReady, err)
		}
		if err != nil {
			return fmt.Errorf("enabling forwarding on the interface of %s: %w", a, err)
		}
	}
	return nil
}
