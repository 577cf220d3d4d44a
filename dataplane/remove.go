package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/hns"
)

// ErrUnconfirmed: HNS answered "not found" for an object that another
// lookup still finds, or that could not be looked up a second way. HNS
// answers 0x490 for more than missing objects (while restarting, for one),
// so DEL keeps the address and fails with "try again later" instead of
// freeing an address an endpoint still holds.
var ErrUnconfirmed = errors.New(`HNS answered "not found", and a second lookup did not confirm it`)

// RemovePod removes the pod endpoint of containerID; an endpoint that is
// not there counts as removed once two independent HNS lookups agree. blocks
// are the IPAM blocks of the pod's addresses (from its handles), whose
// networks would hold its endpoint; without them (and without a single
// network) the name lookup is asked once more.
func (d *Dataplane) RemovePod(ctx context.Context, containerID string, blocks []netip.Prefix) error {
	name := d.EndpointName(containerID)
	ep, err := d.hns.GetEndpointByName(ctx, name)
	switch {
	case err == nil:
		return d.RemoveEndpoint(ctx, ep)
	case !hns.IsNotFound(err):
		return fmt.Errorf("looking up the pod endpoint: %w", err)
	}
	ep, cerr := d.findPodEndpoint(ctx, name, blocks)
	if cerr != nil {
		return fmt.Errorf("%w: pod endpoint %s (lookup by name: %v): %w", ErrUnconfirmed, name, err, cerr)
	}
	if ep == nil {
		return nil
	}
	slog.Warn("HNS answered not found for the pod endpoint, yet its network lists it", "endpoint", name, "id", ep.Id, "err", err)
	return d.RemoveEndpoint(ctx, ep)
}

// findPodEndpoint looks for the local endpoint name another way than by
// name: in the endpoint lists of the networks it could be on. A network that
// is not there has no endpoints either. It returns nil when none has it.
func (d *Dataplane) findPodEndpoint(ctx context.Context, name string, blocks []netip.Prefix) (*hns.Endpoint, error) {
	nets := d.networksOf(blocks)
	if len(nets) == 0 {
		ep, err := d.hns.GetEndpointByName(ctx, name)
		switch {
		case hns.IsNotFound(err):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("looking up endpoint %s again: %w", name, err)
		}
		return ep, nil
	}
	for _, nn := range nets {
		n, err := d.hns.GetNetworkByName(ctx, nn)
		if hns.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("looking up HNS network %s: %w", nn, err)
		}
		// The network exists: "not found" for its list is no answer.
		eps, err := d.hns.ListEndpointsOfNetwork(ctx, n.Id)
		if err != nil {
			return nil, fmt.Errorf("listing the endpoints of HNS network %s: %w", nn, err)
		}
		for i := range eps {
			if eps[i].Flags&hns.EndpointFlagRemote == 0 && strings.EqualFold(eps[i].Name, name) {
				return &eps[i], nil
			}
		}
	}
	return nil, nil
}

// networksOf names the networks a pod with addresses in blocks is on.
func (d *Dataplane) networksOf(blocks []netip.Prefix) []string {
	if d.opt.SingleNetwork {
		return []string{d.opt.Name}
	}
	var out []string
	for _, b := range blocks {
		if n := d.NetworkName(b); !containsFold(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// RemoveEndpoint detaches and deletes an endpoint; whatever is already gone
// counts as done. Any other failure is returned, so the runtime retries the
// DEL instead of leaking the endpoint (Calico logs and forgets it).
func (d *Dataplane) RemoveEndpoint(ctx context.Context, ep *hns.Endpoint) error {
	if !isZeroGUID(ep.HostComputeNamespace) {
		err := d.hns.DetachEndpoint(ctx, ep.HostComputeNamespace, ep.Id)
		if err != nil && !hns.IsNotFound(err) && hns.Code(err) != hns.EndpointNotAttached {
			return fmt.Errorf("detaching endpoint %s from namespace %s: %w", ep.Name, ep.HostComputeNamespace, err)
		}
	}
	err := d.hns.DeleteEndpoint(ctx, ep.Id)
	if hns.IsNotFound(err) {
		// Trust "not found" only once a lookup by ID agrees: an endpoint
		// left behind would keep the address IPAM is about to free.
		if _, gerr := d.hns.GetEndpointByID(ctx, ep.Id); !hns.IsNotFound(gerr) {
			return fmt.Errorf("%w: deleting endpoint %s: HNS answered %v, yet the endpoint is still there (lookup: %v)", ErrUnconfirmed, ep.Name, err, gerr)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting endpoint %s: %w", ep.Name, err)
	}
	return nil
}
