package dataplane

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/calico-win/cni/hns"
)

// NetworkSubnets returns the subnets, as HNS reports them, of the network
// block's pods go on (NetworkName), and whether block is one of them; a
// network that does not exist is ErrNetworkGone.
func (d *Dataplane) NetworkSubnets(ctx context.Context, block netip.Prefix) (subnets []string, has bool, err error) {
	name := d.NetworkName(block)
	n, err := d.hns.GetNetworkByName(ctx, name)
	if hns.IsNotFound(err) {
		return nil, false, fmt.Errorf("%w: %w", ErrNetworkGone, err)
	}
	if err != nil {
		return nil, false, fmt.Errorf("looking up HNS network %s: %w", name, err)
	}
	for _, ip := range n.Ipams {
		for _, s := range ip.Subnets {
			if p, err := netip.ParsePrefix(s.IpAddressPrefix); err == nil && p == block {
				has = true
			}
			subnets = append(subnets, s.IpAddressPrefix)
		}
	}
	return subnets, has, nil
}

// DRMAC is network n's DR MAC, which HNS reports as a DrMacAddress network
// policy: an overlay network's VTEP MAC.
func DRMAC(n *hns.Network) (net.HardwareAddr, error) {
	for _, p := range n.Policies {
		if !p.Is(hns.DrMacAddress) {
			continue
		}
		s, err := hns.Decode[hns.DrMacAddressSetting](p)
		if err != nil {
			return nil, fmt.Errorf("HNS network %s: DrMacAddress policy %s: %w", n.Name, p.Settings, err)
		}
		mac, err := net.ParseMAC(s.Address)
		if err != nil {
			return nil, fmt.Errorf("HNS network %s: DR MAC %q: %w", n.Name, s.Address, err)
		}
		return mac, nil
	}
	return nil, fmt.Errorf("HNS network %s reports no DR MAC (DrMacAddress policy)", n.Name)
}
