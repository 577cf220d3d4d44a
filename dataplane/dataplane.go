package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/internal/flock"
)

// Dataplane does the HNS side of a pod: the node's network and host
// endpoint, and the pod endpoint in its namespace. It takes no node-wide
// lock except around creating or replacing the network, the only step two
// pods could race on.
type Dataplane struct {
	hns  hns.Client
	opt  Options
	mode Mode
}

// New returns the dataplane over HNS client c.
func New(c hns.Client, opt Options) *Dataplane {
	return &Dataplane{hns: c, opt: opt, mode: opt.Mode}
}

// NetworkName is the HNS network of a block: the conf name with
// windows_use_single_network, else "<name>-<block address with dashes>".
func (d *Dataplane) NetworkName(block netip.Prefix) string {
	if d.opt.SingleNetwork {
		return d.opt.Name
	}
	return d.opt.Name + "-" + strings.ReplaceAll(block.Addr().String(), ".", "-")
}

// matches reports whether n is the network Calico would create for block.
func (d *Dataplane) matches(n *hns.Network, block netip.Prefix) bool {
	if !strings.EqualFold(n.Type, d.mode.networkType()) {
		return false
	}
	for _, ip := range n.Ipams {
		for _, s := range ip.Subnets {
			if s.IpAddressPrefix != block.String() {
				continue
			}
			for _, r := range s.Routes {
				if r.DestinationPrefix == "0.0.0.0/0" && r.NextHop == d.mode.gateway(block).String() {
					return true
				}
			}
		}
	}
	return false
}

// ManagementIP is the node's provider address, which HNS publishes as a
// ProviderAddress network policy some time after the network is created.
func ManagementIP(n *hns.Network) (netip.Addr, bool) {
	for _, p := range n.Policies {
		if !p.Is(hns.ProviderAddress) {
			continue
		}
		if s, err := hns.Decode[hns.ProviderAddressSetting](p); err == nil {
			if a, err := netip.ParseAddr(s.ProviderAddress); err == nil {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

// EnsureNetwork returns the network for block and the node's
// management IP, creating the network (or replacing one with another
// subnet) as Calico does. A management IP that has not appeared yet is a
// "try again later", not a sleep.
func (d *Dataplane) EnsureNetwork(ctx context.Context, block netip.Prefix) (*hns.Network, netip.Addr, error) {
	name := d.NetworkName(block)
	n, err := d.hns.GetNetworkByName(ctx, name)
	if err != nil && !hns.IsNotFound(err) {
		return nil, netip.Addr{}, fmt.Errorf("looking up HNS network %s: %w", name, err)
	}
	if err != nil || !d.matches(n, block) {
		if n, err = d.createNetwork(ctx, name, block); err != nil {
			return nil, netip.Addr{}, err
		}
	}
	mgmt, ok := ManagementIP(n)
	if !ok {
		return nil, netip.Addr{}, fmt.Errorf("%w: HNS network %s has no management IP (ProviderAddress) yet", ErrNotReady, name)
	}
	if err := d.ensureHostEndpoint(ctx, n, block, mgmt); err != nil {
		return nil, netip.Addr{}, err
	}
	if err := d.enableForwarding(ctx, block, mgmt); err != nil {
		return nil, netip.Addr{}, err
	}
	return n, mgmt, nil
}

// createNetwork creates (or replaces) the network under the network lock;
// another process may have done it while we waited.
func (d *Dataplane) createNetwork(ctx context.Context, name string, block netip.Prefix) (*hns.Network, error) {
	unlock, err := flock.Lock(ctx, d.opt.LockPath)
	if err != nil {
		return nil, err
	}
	defer unlock()
	n, err := d.hns.GetNetworkByName(ctx, name)
	switch {
	case err == nil && d.matches(n, block):
		return n, nil
	case err == nil:
		slog.Warn("replacing HNS network with another subnet (its endpoints go with it)", "network", name, "id", n.Id, "block", block)
		if err := d.hns.DeleteNetwork(ctx, n.Id); err != nil && !hns.IsNotFound(err) {
			return nil, fmt.Errorf("deleting stale HNS network %s: %w", name, err)
		}
	case !hns.IsNotFound(err):
		return nil, fmt.Errorf("looking up HNS network %s: %w", name, err)
	}
	req := &hns.Network{
		Name: name, Type: d.mode.networkType(),
		Ipams: []hns.Ipam{{Type: "Static", Subnets: []hns.Subnet{{
			IpAddressPrefix: block.String(),
			Routes:          []hns.Route{{NextHop: d.mode.gateway(block).String(), DestinationPrefix: "0.0.0.0/0"}},
			Policies:        d.mode.subnetPolicies(),
		}}}},
		SchemaVersion: hns.V2,
	}
	n, err = d.hns.CreateNetwork(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("creating HNS network %s: %w", name, err)
	}
	slog.Info("created HNS network", "network", name, "id", n.Id, "block", block)
	if ps := d.mode.networkPolicies(); len(ps) > 0 {
		if err := d.hns.AddNetworkPolicy(ctx, n.Id, ps); err != nil {
			slog.Warn("could not add the network policies", "network", name, "err", err)
		}
	}
	return d.hns.GetNetworkByID(ctx, n.Id)
}

// EndpointName is the pod endpoint's name, "<containerID>_<netconf name>"
// (hns.ConstructEndpointName), whatever the network is called.
func (d *Dataplane) EndpointName(containerID string) string { return containerID + "_" + d.opt.Name }

// isZeroGUID reports an unattached endpoint's namespace field.
func isZeroGUID(s string) bool {
	return s == "" || s == "00000000-0000-0000-0000-000000000000"
}

// errEndpointConflict: the address is held by an endpoint we may not remove.
var errEndpointConflict = errors.New("address held by another HNS endpoint")
