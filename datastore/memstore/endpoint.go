package memstore

import (
	"context"
	"fmt"

	"github.com/calico-win/cni/datastore"
)

// Workload endpoints are their own objects here, as in etcd.

func (s *Store) GetWorkloadEndpoint(ctx context.Context, k datastore.WEPKey) (*datastore.Versioned[datastore.WorkloadEndpoint], error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.endpoints[k]
	if !ok {
		return nil, fmt.Errorf("%w: workload endpoint %s/%s", datastore.ErrNotFound, k.Namespace, k.Name)
	}
	return &datastore.Versioned[datastore.WorkloadEndpoint]{Value: mustClone(w.Value), Rev: w.Rev}, nil
}

func (s *Store) PutWorkloadEndpoint(ctx context.Context, w datastore.Versioned[datastore.WorkloadEndpoint]) (string, error) {
	if err := s.begin(ctx); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := datastore.WEPKey{Namespace: w.Value.Metadata.Namespace, Name: w.Value.Metadata.Name}
	cur, ok := s.endpoints[k]
	switch {
	case w.Rev == "" && ok:
		return "", fmt.Errorf("%w: workload endpoint %s/%s", datastore.ErrExists, k.Namespace, k.Name)
	case w.Rev != "" && !ok:
		return "", fmt.Errorf("%w: workload endpoint %s/%s", datastore.ErrNotFound, k.Namespace, k.Name)
	case w.Rev != "" && w.Rev != cur.Rev:
		return "", fmt.Errorf("%w: workload endpoint %s/%s is at %s, not %s", datastore.ErrConflict, k.Namespace, k.Name, cur.Rev, w.Rev)
	}
	rev := s.nextRev()
	s.endpoints[k] = datastore.Versioned[datastore.WorkloadEndpoint]{Value: mustClone(w.Value), Rev: rev}
	return rev, nil
}

func (s *Store) DeleteWorkloadEndpoint(ctx context.Context, k datastore.WEPKey, rev string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.endpoints[k]
	switch {
	case !ok:
		return fmt.Errorf("%w: workload endpoint %s/%s", datastore.ErrNotFound, k.Namespace, k.Name)
	case rev != "" && rev != cur.Rev:
		return fmt.Errorf("%w: workload endpoint %s/%s is at %s, not %s", datastore.ErrConflict, k.Namespace, k.Name, cur.Rev, rev)
	}
	delete(s.endpoints, k)
	return nil
}

// EnsureProfile records a profile, unless one of its name exists.
func (s *Store) EnsureProfile(ctx context.Context, p datastore.Profile) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[p.Metadata.Name] = true
	return nil
}

// HasProfile reports whether EnsureProfile created the profile (tests).
func (s *Store) HasProfile(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.profiles[name]
}

// SetVXLANTunnel records t on the node, keeping its other fields.
func (s *Store) SetVXLANTunnel(ctx context.Context, node string, t datastore.VXLANTunnel) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[node]
	if !ok {
		return fmt.Errorf("%w: Node(%s)", datastore.ErrNotFound, node)
	}
	n.VXLANTunnel = t
	s.nodes[node] = n
	return nil
}
