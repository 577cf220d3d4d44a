package memstore

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/calico-win/cni/datastore"
)

// Read answers q from one consistent view, as etcd's single transaction does.
func (s *Store) Read(ctx context.Context, q datastore.Query) (*datastore.Snapshot, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := &datastore.Snapshot{
		Handles:   map[string]datastore.Versioned[datastore.Handle]{},
		Blocks:    map[netip.Prefix]datastore.Versioned[datastore.Block]{},
		Endpoints: map[datastore.WEPKey]datastore.Versioned[datastore.WorkloadEndpoint]{},
	}
	if q.Config && s.config != nil {
		c := *s.config
		snap.Config = &c
	}
	if q.Pools {
		snap.Pools = []datastore.IPPool{}
		for _, name := range slices.Sorted(maps.Keys(s.pools)) {
			p := s.pools[name]
			p.AllowedUses = slices.Clone(p.AllowedUses)
			snap.Pools = append(snap.Pools, p.WithDefaults())
		}
	}
	if q.ClusterInfo && s.clusterInfo != nil {
		ci := *s.clusterInfo
		if ci.DatastoreReady != nil {
			r := *ci.DatastoreReady
			ci.DatastoreReady = &r
		}
		snap.ClusterInfo = &ci
	}
	if q.Reservations {
		snap.Reservations = []netip.Prefix{}
		for _, name := range slices.Sorted(maps.Keys(s.reservations)) {
			snap.Reservations = append(snap.Reservations, s.reservations[name]...)
		}
	}
	if n, ok := s.nodes[q.Node]; ok && q.Node != "" {
		n.Labels = maps.Clone(n.Labels)
		snap.Node = &n
	}
	if q.Affinities != "" {
		snap.Affinities = []datastore.Versioned[datastore.Affinity]{}
		for k, a := range s.affinities {
			if k.host == q.Affinities && (len(q.AffinityCIDRs) == 0 || slices.Contains(q.AffinityCIDRs, k.cidr)) {
				snap.Affinities = append(snap.Affinities, a)
			}
		}
		slices.SortFunc(snap.Affinities, func(a, b datastore.Versioned[datastore.Affinity]) int {
			return a.Value.CIDR.Addr().Compare(b.Value.CIDR.Addr())
		})
	}
	for _, id := range q.Handles {
		if h, ok := s.handles[id]; ok {
			h.Value = cloneHandle(h.Value)
			snap.Handles[id] = h
		}
	}
	for _, c := range q.Blocks {
		if b, ok := s.blocks[c]; ok {
			snap.Blocks[c] = datastore.Versioned[datastore.Block]{Value: mustClone(b.Value), Rev: b.Rev}
		}
	}
	if q.AllBlocks {
		for c, b := range s.blocks {
			snap.Blocks[c] = datastore.Versioned[datastore.Block]{Value: mustClone(b.Value), Rev: b.Rev}
		}
	}
	for _, k := range q.Endpoints {
		if w, ok := s.endpoints[k]; ok {
			snap.Endpoints[k] = datastore.Versioned[datastore.WorkloadEndpoint]{Value: mustClone(w.Value), Rev: w.Rev}
		}
	}
	return snap, nil
}

// BlocksExist reports which of cidrs have a block.
func (s *Store) BlocksExist(ctx context.Context, cidrs []netip.Prefix) ([]bool, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bool, len(cidrs))
	for i, c := range cidrs {
		_, out[i] = s.blocks[c]
	}
	return out, nil
}

// ListHandleIDs lists the handle IDs that start with prefix (case kept).
func (s *Store) ListHandleIDs(ctx context.Context, prefix string) ([]string, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.handles {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
