package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/calico-win/cni/hns"
)

func init() {
	register(
		command{path: "namespace create", args: "[--type Host]", help: "create an empty namespace, as containerd does, and print its ID", run: namespaceCreate},
		command{path: "namespace list", help: "list namespaces", run: namespaceList},
		command{path: "namespace show", args: "ID", help: "show one namespace", run: namespaceShow},
		command{path: "namespace delete", args: "ID", help: "delete a namespace", run: namespaceDelete},
		command{path: "namespace attach", args: "NAMESPACE-ID ENDPOINT", help: "attach an endpoint (name or ID) to a namespace", run: namespaceAttach},
		command{path: "namespace detach", args: "NAMESPACE-ID ENDPOINT", help: "detach an endpoint (name or ID) from a namespace", run: namespaceDetach},
	)
}

func namespaceCreate(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("namespace create", flag.ContinueOnError)
	typ := fs.String("type", "", "namespace `type`: Host, HostDefault, Guest, GuestDefault (default: containerd's empty template)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	ns, err := s.CreateNamespace(ctx, &hns.Namespace{Type: *typ})
	if err != nil {
		return err
	}
	if c.format == "json" {
		return c.show(ns)
	}
	_, err = fmt.Fprintln(c.out, ns.Id)
	return err
}

func namespaceList(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(flag.NewFlagSet("namespace list", flag.ContinueOnError), args, 0, 0); err != nil {
		return err
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	nss, err := b.ListNamespaces(ctx)
	if err != nil {
		return err
	}
	if nss == nil {
		nss = []hns.Namespace{}
	}
	return c.emit(nss, func(row func(...any)) {
		row("ID", "TYPE", "COMPARTMENT", "RESOURCES")
		for _, ns := range nss {
			row(ns.Id, ns.Type, ns.NamespaceId, resources(ns.Resources))
		}
	})
}

// resources prints namespace resources as Type:ID.
func resources(rs []hns.NamespaceResource) string {
	var out []string
	for _, r := range rs {
		var d struct{ ID string }
		json.Unmarshal(r.Data, &d)
		out = append(out, r.Type+":"+d.ID)
	}
	return strings.Join(out, ",")
}

func namespaceShow(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(flag.NewFlagSet("namespace show", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	b, err := c.backend()
	if err != nil {
		return err
	}
	ns, err := b.GetNamespaceByID(ctx, pos[0])
	if err != nil {
		return err
	}
	return c.show(ns)
}

func namespaceDelete(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(flag.NewFlagSet("namespace delete", flag.ContinueOnError), args, 1, 1)
	if err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	return s.DeleteNamespace(ctx, pos[0])
}

func namespaceAttach(ctx context.Context, c *cli, args []string) error {
	return namespaceModify(ctx, c, args, hns.Client.AttachEndpoint)
}

func namespaceDetach(ctx context.Context, c *cli, args []string) error {
	return namespaceModify(ctx, c, args, hns.Client.DetachEndpoint)
}

func namespaceModify(ctx context.Context, c *cli, args []string, op func(hns.Client, context.Context, string, string) error) error {
	pos, err := c.parse(flag.NewFlagSet(c.cmd.path, flag.ContinueOnError), args, 2, 2)
	if err != nil {
		return err
	}
	s, err := c.simulator()
	if err != nil {
		return err
	}
	e, err := lookupEndpoint(ctx, simBackend{s}, pos[1])
	if err != nil {
		return err
	}
	return op(s, ctx, pos[0], e.Id)
}
