//go:build windows

package hcn

import (
	"context"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

func (client) GetNetworkByName(ctx context.Context, name string) (*hns.Network, error) {
	var n *hcn.HostComputeNetwork
	err := call(ctx, "GetNetworkByName", func() (err error) {
		n, err = hcn.GetNetworkByName(name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromHCNNetwork(n)
}

func (client) GetNetworkByID(ctx context.Context, id string) (*hns.Network, error) {
	var n *hcn.HostComputeNetwork
	err := call(ctx, "GetNetworkByID", func() (err error) {
		n, err = hcn.GetNetworkByID(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkID("Network", id, n.Id); err != nil {
		return nil, err
	}
	return fromHCNNetwork(n)
}

// CreateNetwork creates n with schema 2.0 unless n says otherwise. hcn
// refuses, before calling HNS, a subnet without a default gateway route.
func (client) CreateNetwork(ctx context.Context, n *hns.Network) (*hns.Network, error) {
	req, err := toHCNNetwork(n)
	if err != nil {
		return nil, err
	}
	if req.SchemaVersion == (hcn.SchemaVersion{}) {
		req.SchemaVersion = hcn.V2SchemaVersion()
	}
	var created *hcn.HostComputeNetwork
	err = call(ctx, "CreateNetwork", func() (err error) {
		created, err = req.Create()
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromHCNNetwork(created)
}

func (client) DeleteNetwork(ctx context.Context, id string) error {
	return call(ctx, "DeleteNetwork", (&hcn.HostComputeNetwork{Id: id}).Delete)
}

func (client) AddNetworkPolicy(ctx context.Context, networkID string, p []hns.Policy) error {
	req := hcn.PolicyNetworkRequest{Policies: toHCNNetworkPolicies(p)}
	return call(ctx, "AddNetworkPolicy", func() error {
		return (&hcn.HostComputeNetwork{Id: networkID}).AddPolicy(req)
	})
}
