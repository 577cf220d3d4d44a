package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

func init() {
	register(
		command{path: "network create", args: "--name NAME --subnet CIDR [--type Overlay] [--gateway IP] [--vni N] [--management-ip IP] [--mgmt-delay D] [--adapter NAME] [--host-endpoint=true]",
			help: "create a network as calico-node does: Overlay (VSID, ProviderAddress, HostRoute, <name>_ep) or L2Bridge (BGP mode; the CNI plugin makes its host endpoint)", run: networkCreate},
		command{path: "network list", help: "list networks", run: networkList},
		command{path: "network show", args: "NAME|ID", help: "show one network", run: networkShow},
		command{path: "network delete", args: "NAME|ID", help: "delete a network (and, by default, its endpoints)", run: networkDelete},
	)
}

func networkCreate(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("network create", flag.ContinueOnError)
	name := fs.String("name", "Calico", "network `name`")
	typ := fs.String("type", "Overlay", "network `type`: Overlay, L2Bridge, NAT, ...")
	subnet := fs.String("subnet", "", "the node's pod `CIDR` (required)")
	gateway := fs.String("gateway", "", "gateway `IP` (default: the subnet's first address)")
	vni := fs.Uint("vni", sim.DefaultVNI, "VXLAN `VNI` (Overlay only; Windows needs 4096 or more)")
	mgmt := fs.String("management-ip", "", "the host adapter's `IP`, reported as the ProviderAddress policy")
	delay := fs.Duration("mgmt-delay", 0, "how long after creation the management IP appears")
	adapter := fs.String("adapter", "Ethernet", "host network adapter `name`")
	hostEP := fs.Bool("host-endpoint", true, "also create the <name>_ep remote host endpoint at .2 (Overlay only)")
	vniSet := false
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { vniSet = vniSet || f.Name == "vni" })
	if strings.EqualFold(*typ, "L2Bridge") && vniSet {
		return usagef("--vni: an L2Bridge network has no VXLAN VNI")
	}
	spec, err := overlaySpec(*name, *subnet, *gateway, *mgmt, *adapter, *vni)
	if err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	var n *hns.Network
	switch {
	case strings.EqualFold(*typ, "Overlay") && *hostEP:
		n, err = s.SetupOverlay(ctx, spec, *delay)
	case strings.EqualFold(*typ, "L2Bridge"):
		n, err = s.SetupL2Bridge(ctx, sim.L2BridgeSpec{Name: spec.Name, Subnet: spec.Subnet, Gateway: spec.Gateway,
			ManagementIP: spec.ManagementIP, AdapterName: spec.AdapterName}, *delay)
	default:
		n, err = createPlainNetwork(ctx, s, spec, *typ, *delay)
	}
	if err != nil {
		return err
	}
	return c.printNetworks(ctx, []hns.Network{*n})
}

func overlaySpec(name, subnet, gateway, mgmt, adapter string, vni uint) (sim.OverlaySpec, error) {
	spec := sim.OverlaySpec{Name: name, AdapterName: adapter, VNI: uint32(vni)}
	var err error
	if spec.Subnet, err = netip.ParsePrefix(subnet); err != nil {
		return spec, usagef("--subnet: %v", err)
	}
	if gateway != "" {
		if spec.Gateway, err = netip.ParseAddr(gateway); err != nil {
			return spec, usagef("--gateway: %v", err)
		}
	}
	if mgmt != "" {
		if spec.ManagementIP, err = netip.ParseAddr(mgmt); err != nil {
			return spec, usagef("--management-ip: %v", err)
		}
	}
	if vni < sim.DefaultVNI || vni > 1<<24-1 {
		return spec, usagef("--vni %d: Windows supports VNIs from 4096 to 16777215", vni)
	}
	return spec, nil
}

// createPlainNetwork creates a network of any type from the overlay shape
// (without VSID unless Overlay) and adds HostRoute, without a host endpoint.
func createPlainNetwork(ctx context.Context, s *sim.Sim, spec sim.OverlaySpec, typ string, delay time.Duration) (*hns.Network, error) {
	req := sim.OverlayNetwork(spec)
	req.Type = typ
	if !strings.EqualFold(typ, "Overlay") {
		req.Ipams[0].Subnets[0].Policies = nil
	}
	n, err := s.CreateNetworkWithDelay(ctx, req, delay)
	if err != nil {
		return nil, err
	}
	if err := s.AddNetworkPolicy(ctx, n.Id, []hns.Policy{hns.NewPolicy(hns.HostRouteSetting{})}); err != nil {
		return nil, fmt.Errorf("adding HostRoute: %w", err)
	}
	return s.GetNetworkByID(ctx, n.Id)
}

func networkList(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(flag.NewFlagSet("network list", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	ns, err := b.ListNetworks(ctx)
	if err != nil {
		return err
	}
	return c.printNetworks(ctx, ns)
}

func (c *cli) printNetworks(ctx context.Context, ns []hns.Network) error {
	b, err := c.backend()
	if err != nil {
		return err
	}
	counts := make([]int, len(ns))
	for i := range ns {
		eps, err := b.ListEndpointsOfNetwork(ctx, ns[i].Id)
		if err != nil {
			return err
		}
		counts[i] = len(eps)
	}
	if ns == nil {
		ns = []hns.Network{}
	}
	return c.emit(ns, func(row func(...any)) {
		row("ID", "NAME", "TYPE", "SUBNETS", "MANAGEMENT IP", "POLICIES", "ENDPOINTS")
		for i, n := range ns {
			row(n.Id, n.Name, n.Type, subnets(&n), policySetting(n.Policies, hns.ProviderAddress, "ProviderAddress"),
				policyTypes(n.Policies), counts[i])
		}
	})
}

func networkShow(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(flag.NewFlagSet("network show", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	n, err := lookupNetwork(ctx, b, pos[0])
	if err != nil {
		return err
	}
	return c.show(n)
}

func networkDelete(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(flag.NewFlagSet("network delete", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	n, err := lookupNetwork(ctx, simBackend{s}, pos[0])
	if err != nil {
		return err
	}
	return s.DeleteNetwork(ctx, n.Id)
}
