//go:build windows

package hcn

import (
	"context"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

func (client) GetNamespaceByID(ctx context.Context, id string) (*hns.Namespace, error) {
	var ns *hcn.HostComputeNamespace
	err := call(ctx, "GetNamespaceByID", func() (err error) {
		ns, err = hcn.GetNamespaceByID(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkID("Namespace", id, ns.Id); err != nil {
		return nil, err
	}
	return fromHCNNamespace(ns)
}

// CreateNamespace creates ns as given: containerd creates its pod namespaces
// from an empty template, and they read back with schema 0.0.
func (client) CreateNamespace(ctx context.Context, ns *hns.Namespace) (*hns.Namespace, error) {
	req, err := toHCNNamespace(ns)
	if err != nil {
		return nil, err
	}
	var created *hcn.HostComputeNamespace
	err = call(ctx, "CreateNamespace", func() (err error) {
		created, err = req.Create()
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromHCNNamespace(created)
}

func (client) DeleteNamespace(ctx context.Context, id string) error {
	return call(ctx, "DeleteNamespace", (&hcn.HostComputeNamespace{Id: id}).Delete)
}

func (client) AttachEndpoint(ctx context.Context, namespaceID, endpointID string) error {
	return call(ctx, "AttachEndpoint", func() error {
		return hcn.AddNamespaceEndpoint(namespaceID, endpointID)
	})
}

func (client) DetachEndpoint(ctx context.Context, namespaceID, endpointID string) error {
	return call(ctx, "DetachEndpoint", func() error {
		return hcn.RemoveNamespaceEndpoint(namespaceID, endpointID)
	})
}

// HostNamespace returns the host's default namespace: the HostDefault
// namespace HNS lists, or one created when it lists none (HNS binds a
// HostDefault namespace to the default compartment). Attaching an endpoint
// to it is v2's HostAttach to compartment 1. The caller serialises the
// creating case (the dataplane holds the network lock), so two plugin
// processes do not both create one.
func (client) HostNamespace(ctx context.Context) (*hns.Namespace, error) {
	var all []hcn.HostComputeNamespace
	err := call(ctx, "HostNamespace", func() (err error) {
		all, err = hcn.ListNamespaces()
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Type == hcn.NamespaceTypeHostDefault {
			return fromHCNNamespace(&all[i])
		}
	}
	var created *hcn.HostComputeNamespace
	err = call(ctx, "HostNamespace", func() (err error) {
		created, err = hcn.NewNamespace(hcn.NamespaceTypeHostDefault).Create()
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromHCNNamespace(created)
}
