package kdd

import (
	"encoding/json"
	"sync"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// Config says how to reach the API server (Calico's netconf keys) and which
// API group holds Calico's resources.
type Config struct {
	k8s.Config
	// APIGroup is calico_api_group: "crd.projectcalico.org/v1",
	// "projectcalico.org/v3", or "" to discover the group as Calico does
	// (one request, on the first that needs it).
	APIGroup string
}

// Store is a datastore.Store on the Kubernetes API. It is safe for
// concurrent use.
type Store struct {
	c   *crdClient
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
	// pods holds each endpoint's pod as the last read found it (podread.go).
	pods map[datastore.WEPKey]podSeen
}

type seenKey struct{ plural, name, rev string }

var _ datastore.Store = (*Store)(nil)

// New returns a Store for cfg. It reads the kubeconfig but does not contact
// the server.
func New(cfg Config) (*Store, error) {
	g, err := ParseAPIGroup(cfg.APIGroup)
	if err != nil {
		return nil, err
	}
	c, err := k8s.New(cfg.Config)
	if err != nil {
		return nil, err
	}
	var s *Store
	if g == nil {
		s = NewDiscovering(c, nil)
	} else {
		s = NewInGroup(c, g)
	}
	s.own = true
	return s, nil
}

// NewWithClient returns a Store in crd.projectcalico.org/v1 that uses c,
// which the caller may share (one connection for the whole CNI call) and
// closes.
func NewWithClient(c *k8s.Client) *Store { return NewInGroup(c, GroupV1) }

// NewInGroup is NewWithClient in the API group g.
func NewInGroup(c *k8s.Client, g *APIGroup) *Store { return newStore(&crdClient{Client: c, g: g}) }

// NewDiscovering is NewWithClient in the API group Calico would pick, from
// the groups the server serves. known is the group an earlier discovery
// found (nil if none): it is used without asking the server again until a
// request finds it not served.
func NewDiscovering(c *k8s.Client, known *APIGroup) *Store {
	return newStore(&crdClient{Client: c, g: known, discover: true})
}

func newStore(c *crdClient) *Store {
	return &Store{c: c, seen: map[seenKey]json.RawMessage{}, endpoints: map[epAt]epState{}, latest: map[datastore.WEPKey]string{},
		pods: map[datastore.WEPKey]podSeen{}}
}

// APIGroup is the group the Store reads and writes Calico's resources in:
// nil while a discovering Store has not needed it yet.
func (s *Store) APIGroup() *APIGroup { return s.c.current() }

// Discovered is the group this Store asked the server for, nil if it did
// not (its group was configured, or known and still served): what a caller
// keeps for the next Store.
func (s *Store) Discovered() *APIGroup {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if !s.c.asked {
		return nil
	}
	return s.c.g
}

// Requests is the number of API requests this Store's client has sent,
// failed ones included.
func (s *Store) Requests() int64 { return s.c.Requests() }

// Server is the API server's URL.
func (s *Store) Server() string { return s.c.Server() }

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
