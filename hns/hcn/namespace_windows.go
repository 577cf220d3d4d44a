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
