package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"

	"github.com/calico-win/cni/hns"
)

func init() {
	register(
		command{path: "endpoint list", args: "[--network NAME|ID]", help: "list endpoints, local and remote", run: endpointList},
		command{path: "endpoint show", args: "NAME|ID", help: "show one endpoint", run: endpointShow},
		command{path: "endpoint delete", args: "NAME|ID", help: "delete an endpoint", run: endpointDelete},
		command{path: "endpoint create", args: "--network NAME|ID --name NAME [--ip IP] [--mac MAC] [--remote] [--provider-address IP] [--host]",
			help: "create an endpoint (HNS picks the address and MAC if not given); --host gives it to the host (an L2Bridge host endpoint)", run: func(ctx context.Context, c *cli, args []string) error {
				return endpointCreate(ctx, c, args, false)
			}},
		command{path: "endpoint create-remote", args: "--network NAME|ID --name NAME --ip IP [--provider-address IP] [--mac MAC]",
			help: "create a remote endpoint (another node's pod)", run: func(ctx context.Context, c *cli, args []string) error {
				return endpointCreate(ctx, c, args, true)
			}},
	)
}

func endpointCreate(ctx context.Context, c *cli, args []string, remote bool) error {
	fs := flag.NewFlagSet(c.cmd.path, flag.ContinueOnError)
	network := fs.String("network", "Calico", "network `name or ID`")
	name := fs.String("name", "", "endpoint `name` (required)")
	ip := fs.String("ip", "", "endpoint `address`")
	mac := fs.String("mac", "", "MAC `address` (dash form); default: from the network's pool")
	pa := fs.String("provider-address", "", "the `IP` of the node hosting the endpoint (ProviderAddress policy)")
	host := new(bool)
	if !remote {
		fs.BoolVar(&remote, "remote", false, "create a remote endpoint (Flags 1)")
		host = fs.Bool("host", false, "attach the endpoint to the host's default namespace, as L2Bridge mode does with <network>_ep")
	}
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *name == "" {
		return usagef("--name is required")
	}
	if remote && *ip == "" {
		return usagef("a remote endpoint needs --ip")
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	n, err := lookupNetwork(ctx, simBackend{s}, *network)
	if err != nil {
		return err
	}
	e := &hns.Endpoint{Name: *name, HostComputeNetwork: n.Id, MacAddress: *mac, SchemaVersion: hns.V2}
	if *ip != "" {
		e.IpConfigurations = []hns.IpConfig{{IpAddress: *ip}}
	}
	if remote {
		e.Flags = hns.EndpointFlagRemote
	}
	if *pa != "" {
		if _, err := netip.ParseAddr(*pa); err != nil {
			return usagef("--provider-address: %v", err)
		}
		e.Policies = []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: *pa})}
	}
	ep, err := s.CreateEndpoint(ctx, e)
	if err != nil {
		return err
	}
	if *host {
		ns, err := s.HostNamespace(ctx)
		if err != nil {
			return err
		}
		if err := s.AttachEndpoint(ctx, ns.Id, ep.Id); err != nil {
			return fmt.Errorf("attaching %s to the host (the endpoint stays, detached): %w", ep.Name, err)
		}
		if ep, err = s.GetEndpointByID(ctx, ep.Id); err != nil {
			return err
		}
	}
	return c.printEndpoints(ctx, []hns.Endpoint{*ep})
}

func endpointList(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("endpoint list", flag.ContinueOnError)
	network := fs.String("network", "", "only the endpoints of this network (`name or ID`)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	var eps []hns.Endpoint
	if *network != "" {
		n, err := lookupNetwork(ctx, b, *network)
		if err != nil {
			return err
		}
		eps, err = b.ListEndpointsOfNetwork(ctx, n.Id)
		if err != nil {
			return err
		}
	} else if eps, err = b.ListEndpoints(ctx); err != nil {
		return err
	}
	return c.printEndpoints(ctx, eps)
}

func (c *cli) printEndpoints(ctx context.Context, eps []hns.Endpoint) error {
	b, err := c.backend()
	if err != nil {
		return err
	}
	netNames := map[string]string{}
	states := make([]string, len(eps))
	for i, e := range eps {
		if _, ok := netNames[e.HostComputeNetwork]; !ok {
			netNames[e.HostComputeNetwork] = e.HostComputeNetwork
			if n, err := b.GetNetworkByID(ctx, e.HostComputeNetwork); err == nil {
				netNames[e.HostComputeNetwork] = n.Name
			}
		}
		if s, ok := b.(simBackend); ok { // the v1 state is only known to the simulator
			if st, err := s.EndpointState(ctx, e.Id); err == nil {
				states[i] = st.String()
			}
		}
	}
	if eps == nil {
		eps = []hns.Endpoint{}
	}
	return c.emit(eps, func(row func(...any)) {
		row("ID", "NAME", "NETWORK", "ADDRESS", "MAC", "REMOTE", "NAMESPACE", "STATE", "POLICIES")
		for i, e := range eps {
			row(e.Id, e.Name, netNames[e.HostComputeNetwork], addresses(&e), e.MacAddress,
				yesNo(e.Flags&hns.EndpointFlagRemote != 0), e.HostComputeNamespace, states[i], policyTypes(e.Policies))
		}
	})
}

func endpointShow(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(flag.NewFlagSet("endpoint show", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	e, err := lookupEndpoint(ctx, b, pos[0])
	if err != nil {
		return err
	}
	return c.show(e)
}

func endpointDelete(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(flag.NewFlagSet("endpoint delete", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	e, err := lookupEndpoint(ctx, simBackend{s}, pos[0])
	if err != nil {
		return err
	}
	return s.DeleteEndpoint(ctx, e.Id)
}
