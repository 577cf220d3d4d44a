package main

import (
	"context"
	"flag"
	"strings"

	"github.com/calico-win/cni/hns/sim"
)

func init() {
	register(
		command{path: "host interfaces", help: "list the simulated host's IPv4 interfaces and whether they forward (L2Bridge mode turns forwarding on)", run: hostInterfaces},
		command{path: "host namespace", help: "show the host's default namespace (where L2Bridge host endpoints are attached)", run: hostNamespace},
	)
}

func hostInterfaces(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(flag.NewFlagSet("host interfaces", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	ifs, err := s.Interfaces(ctx)
	if err != nil {
		return err
	}
	if ifs == nil {
		ifs = []sim.Interface{}
	}
	return c.emit(ifs, func(row func(...any)) {
		row("NAME", "ADDRESSES", "FORWARDING")
		for _, i := range ifs {
			row(i.Name, strings.Join(i.Addresses, ","), yesNo(i.Forwarding))
		}
	})
}

func hostNamespace(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(flag.NewFlagSet("host namespace", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	ns, err := b.HostNamespace(ctx)
	if err != nil {
		return err
	}
	return c.show(ns)
}
