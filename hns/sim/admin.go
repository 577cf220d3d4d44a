package sim

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"

	"github.com/calico-win/cni/hns"
)

// The methods in this file serve tests and hnsctl. They are not part of
// hns.Client, so faults, latency and a stopped service do not affect them:
// a test can always inspect the state it has broken.

// ListNetworks returns every network in creation order.
func (s *Sim) ListNetworks(ctx context.Context) ([]hns.Network, error) {
	return readAll(ctx, s, networksDir, func(id string) (hns.Network, uint64, error) {
		r, err := s.readNetwork(id)
		if err != nil {
			return hns.Network{}, 0, err
		}
		return *r.view(s.now()), r.Seq, nil
	})
}

// ListEndpoints returns every endpoint, local and remote, in creation order.
func (s *Sim) ListEndpoints(ctx context.Context) ([]hns.Endpoint, error) {
	return readAll(ctx, s, endpointsDir, func(id string) (hns.Endpoint, uint64, error) {
		r, err := s.readEndpoint(id)
		if err != nil {
			return hns.Endpoint{}, 0, err
		}
		return *r.view(), r.Seq, nil
	})
}

// ListNamespaces returns every namespace in creation order.
func (s *Sim) ListNamespaces(ctx context.Context) ([]hns.Namespace, error) {
	return readAll(ctx, s, namespacesDir, func(id string) (hns.Namespace, uint64, error) {
		r, err := s.readNamespace(id)
		if err != nil {
			return hns.Namespace{}, 0, err
		}
		return r.Namespace, r.Seq, nil
	})
}

// EndpointState returns the v1 state of an endpoint (what Felix filters on).
func (s *Sim) EndpointState(ctx context.Context, id string) (EndpointState, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	cid, ok := canonicalID(id)
	if !ok {
		return 0, &hns.NotFoundError{Kind: "Endpoint", ID: id}
	}
	r, err := readLocked(s, func() (*endpointRecord, error) { return s.readEndpoint(cid) })
	if errors.Is(err, fs.ErrNotExist) {
		return 0, &hns.NotFoundError{Kind: "Endpoint", ID: id}
	}
	if err != nil {
		return 0, err
	}
	return r.State, nil
}

// readAll reads every object file in dir under a shared lock and returns
// the objects in creation order (by the sequence number read returns).
// Objects that vanish meanwhile are skipped.
func readAll[T any](ctx context.Context, s *Sim, dir string, read func(id string) (T, uint64, error)) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type item struct {
		v   T
		seq uint64
	}
	var items []item
	err := s.locked(false, func() error {
		names, err := listNames(s.st.path(dir))
		if err != nil {
			return err
		}
		for _, name := range names {
			id, ok := strings.CutSuffix(name, ".json")
			if !ok {
				continue
			}
			v, seq, err := read(id)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			items = append(items, item{v, seq})
		}
		return nil
	})
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out, err
}

// Reset removes every network, endpoint and namespace, armed faults and
// latencies, and starts a stopped service: an HNS freshly installed. The
// configuration (version, options) is kept.
func (s *Sim) Reset(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.locked(true, func() error {
		var errs []error
		for _, d := range objectDirs {
			errs = append(errs, removeTree(s.st.path(d)))
		}
		errs = append(errs, removeFile(s.st.path(metaFileName)), removeFile(s.st.path(faultsFileName)), removeFile(s.st.path(hostFileName)))
		if err := errors.Join(errs...); err != nil {
			return err
		}
		return s.st.init()
	})
}
