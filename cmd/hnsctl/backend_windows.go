//go:build windows

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	hcsshim "github.com/Microsoft/hcsshim/hcn"
	"golang.org/x/sys/windows"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/hcn"
	"github.com/calico-win/cni/hns/sim"
)

// openBackend opens the HNS calico.exe would use: the simulator with
// CALICO_HNS_BACKEND=sim or an explicit --dir, else the host's HNS,
// read-only: lookups go through the plugin's adapter (hns/hcn), listings
// through hcsshim's hcn directly, and every change is refused.
func openBackend(dir string) (backend, error) {
	if dir != "" || os.Getenv(sim.BackendEnv) == "sim" {
		return openSim(dir)
	}
	// hcsshim panics when computenetwork.dll is missing; fail cleanly instead.
	if err := windows.NewLazySystemDLL("computenetwork.dll").Load(); err != nil {
		return nil, fmt.Errorf("HNS v2 API unavailable (is the Containers feature installed?): %w", err)
	}
	return realHNS{hcn.New()}, nil
}

// realHNS is the host's HNS with every mutating call refused.
type realHNS struct{ hns.Client }

var errReadOnly = errors.New("refused: hnsctl only reads a real HNS")

func (realHNS) Close() {}

func (realHNS) CreateNetwork(context.Context, *hns.Network) (*hns.Network, error) {
	return nil, errReadOnly
}
func (realHNS) DeleteNetwork(context.Context, string) error                  { return errReadOnly }
func (realHNS) AddNetworkPolicy(context.Context, string, []hns.Policy) error { return errReadOnly }
func (realHNS) CreateEndpoint(context.Context, *hns.Endpoint) (*hns.Endpoint, error) {
	return nil, errReadOnly
}
func (realHNS) DeleteEndpoint(context.Context, string) error { return errReadOnly }
func (realHNS) CreateNamespace(context.Context, *hns.Namespace) (*hns.Namespace, error) {
	return nil, errReadOnly
}
func (realHNS) DeleteNamespace(context.Context, string) error        { return errReadOnly }
func (realHNS) AttachEndpoint(context.Context, string, string) error { return errReadOnly }
func (realHNS) DetachEndpoint(context.Context, string, string) error { return errReadOnly }

// HostNamespace finds the listed HostDefault namespace; the adapter's
// would create one when there is none, which a read-only tool must not.
func (r realHNS) HostNamespace(ctx context.Context) (*hns.Namespace, error) {
	nss, err := r.ListNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	for i := range nss {
		if nss[i].Type == hns.NamespaceHostDefault {
			return &nss[i], nil
		}
	}
	return nil, &hns.NotFoundError{Kind: "Namespace", Name: hns.NamespaceHostDefault}
}

func (realHNS) ListNetworks(ctx context.Context) ([]hns.Network, error) {
	return list[hns.Network](ctx, hcsshim.ListNetworks)
}

func (realHNS) ListEndpoints(ctx context.Context) ([]hns.Endpoint, error) {
	return list[hns.Endpoint](ctx, hcsshim.ListEndpoints)
}

func (realHNS) ListNamespaces(ctx context.Context) ([]hns.Namespace, error) {
	return list[hns.Namespace](ctx, hcsshim.ListNamespaces)
}

// list calls an hcn lister and converts its result through JSON: the hns
// types carry hcn's field names.
func list[Out, In any](ctx context.Context, f func() ([]In, error)) ([]Out, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	objs, err := f()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(objs)
	if err != nil {
		return nil, err
	}
	var out []Out
	return out, json.Unmarshal(b, &out)
}
