//go:build windows

package hcn

import (
	"context"
	"errors"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

// errNamespaceReadOnly is hcn's own refusal, in its words: an endpoint joins
// a namespace through AttachEndpoint, never at creation.
var errNamespaceReadOnly = errors.New("endpoint create error, endpoint json HostComputeNamespace is read only and should not be set")

// CreateEndpoint creates e on e.HostComputeNetwork with schema 2.0 unless e
// says otherwise; e.HostComputeNamespace must be empty.
func (client) CreateEndpoint(ctx context.Context, e *hns.Endpoint) (*hns.Endpoint, error) {
	if e.HostComputeNamespace != "" {
		return nil, errNamespaceReadOnly
	}
	req, err := toHCNEndpoint(e)
	if err != nil {
		return nil, err
	}
	if req.SchemaVersion == (hcn.SchemaVersion{}) {
		req.SchemaVersion = hcn.V2SchemaVersion()
	}
	var created *hcn.HostComputeEndpoint
	err = call(ctx, "CreateEndpoint", func() (err error) {
		created, err = req.Create()
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromHCNEndpoint(created)
}

func (client) DeleteEndpoint(ctx context.Context, id string) error {
	return call(ctx, "DeleteEndpoint", (&hcn.HostComputeEndpoint{Id: id}).Delete)
}

func (client) GetEndpointByID(ctx context.Context, id string) (*hns.Endpoint, error) {
	var e *hcn.HostComputeEndpoint
	err := call(ctx, "GetEndpointByID", func() (err error) {
		e, err = hcn.GetEndpointByID(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkID("Endpoint", id, e.Id); err != nil {
		return nil, err
	}
	return fromHCNEndpoint(e)
}

// GetEndpointByName returns the first endpoint HNS reports with that name.
func (client) GetEndpointByName(ctx context.Context, name string) (*hns.Endpoint, error) {
	var e *hcn.HostComputeEndpoint
	err := call(ctx, "GetEndpointByName", func() (err error) {
		e, err = hcn.GetEndpointByName(name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromHCNEndpoint(e)
}

func (client) ListEndpointsOfNetwork(ctx context.Context, networkID string) ([]hns.Endpoint, error) {
	var es []hcn.HostComputeEndpoint
	err := call(ctx, "ListEndpointsOfNetwork", func() (err error) {
		es, err = hcn.ListEndpointsOfNetwork(networkID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromHCNEndpoints(es)
}
