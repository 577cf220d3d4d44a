package kdd

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// Config says how to reach the API server (Calico's netconf keys) and which
// API group holds Calico's resources.
type Config struct {
	k8s.Config
	// APIGroup is calico_api_group: "" or "crd.projectcalico.org/v1". The
	// projectcalico.org/v3 group (Calico's aggregated API server) is not
	// supported.
	APIGroup string
}

// Store is a datastore.Store on the Kubernetes API. It is safe for
// concurrent use.
type Store struct {
	c   *k8s.Client
	own bool // Close closes c

	mu sync.Mutex
	// seen holds objects as this Store read them, by resource, name and
	// resourceVersion: what a Commit that fails part way restores an
	// update to.
	seen map[seenKey]json.RawMessage
	// endpoints holds each endpoint's state (pod UID and annotations) at
	// the pod revisions this Store saw it, latest the last of them: what a
	// write of the endpoint is conditioned on, so a create or delete is one
	// PATCH.
	endpoints map[epAt]epState
	latest    map[datastore.WEPKey]string
}

type seenKey struct{ plural, name, rev string }

var _ datastore.Store = (*Store)(nil)

// New returns a Store for cfg. It reads the kubeconfig but does not contact
// the server.
func New(cfg Config) (*Store, error) {
	if err := CheckAPIGroup(cfg.APIGroup); err != nil {
		return nil, err
	}
	c, err := k8s.New(cfg.Config)
	if err != nil {
		return nil, err
	}
	s := NewWithClient(c)
	s.own = true
	return s, nil
}

// NewWithClient returns a Store that uses c, which the caller may share
// (one connection for the whole CNI call) and closes.
func NewWithClient(c *k8s.Client) *Store {
	return &Store{c: c, seen: map[seenKey]json.RawMessage{}, endpoints: map[epAt]epState{}, latest: map[datastore.WEPKey]string{}}
}

// CheckAPIGroup accepts the calico_api_group values this backend serves.
func CheckAPIGroup(g string) error {
	switch g {
	case "", apiVersion, group:
		return nil
	}
	return fmt.Errorf("calico_api_group %q is not supported: Calico's IPAM is read and written in %s (the default; leave calico_api_group unset)", g, apiVersion)
}

// Requests is the number of API requests this Store's client has sent,
// failed ones included.
func (s *Store) Requests() int64 { return s.c.Requests() }

// Close releases idle connections of a client the Store made itself.
func (s *Store) Close() error {
	if s.own {
		s.c.Close()
	}
	return nil
}

// remember keeps an object of a kind Commit writes, as read.
func (s *Store) remember(r k8s.Resource, m meta, raw json.RawMessage) {
	if r != ipamBlocks && r != blockAffinities && r != ipamHandles {
		return
	}
	s.mu.Lock()
	s.seen[seenKey{r.Plural, m.Name, m.ResourceVersion}] = raw
	s.mu.Unlock()
}

func (s *Store) recall(r, name, rev string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.seen[seenKey{r, name, rev}]
	return raw, ok
}
