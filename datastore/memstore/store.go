package memstore

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/calico-win/cni/datastore"
)

// Store holds a whole Calico datastore in memory. The zero value is not
// usable: call New.
type Store struct {
	mu  sync.Mutex
	rev int64 // the last revision given out; every write takes the next

	config       *datastore.IPAMConfig
	pools        map[string]datastore.IPPool
	clusterInfo  *datastore.ClusterInformation
	reservations map[string][]netip.Prefix
	nodes        map[string]datastore.Node
	profiles     map[string]bool

	affinities map[affKey]datastore.Versioned[datastore.Affinity]
	handles    map[string]datastore.Versioned[datastore.Handle]
	blocks     map[netip.Prefix]datastore.Versioned[datastore.Block]
	endpoints  map[datastore.WEPKey]datastore.Versioned[datastore.WorkloadEndpoint]

	roundTrips atomic.Int64
}

type affKey struct {
	host string
	cidr netip.Prefix
}

var _ datastore.Store = (*Store)(nil)

// New returns an empty datastore.
func New() *Store {
	return &Store{
		// Revisions are cluster-wide and start well above 1, as etcd's
		// do: no small guessed number matches an object's revision.
		rev:          1000,
		pools:        map[string]datastore.IPPool{},
		reservations: map[string][]netip.Prefix{},
		nodes:        map[string]datastore.Node{},
		profiles:     map[string]bool{},
		affinities:   map[affKey]datastore.Versioned[datastore.Affinity]{},
		handles:      map[string]datastore.Versioned[datastore.Handle]{},
		blocks:       map[netip.Prefix]datastore.Versioned[datastore.Block]{},
		endpoints:    map[datastore.WEPKey]datastore.Versioned[datastore.WorkloadEndpoint]{},
	}
}

// RoundTrips counts the calls that would each be one etcd round trip
// (Read, BlocksExist, a non-empty Commit, ListHandleIDs, endpoint calls),
// so tests can hold the algorithm to its round-trip budget.
func (s *Store) RoundTrips() int64 { return s.roundTrips.Load() }

// Close does nothing: there is no connection.
func (s *Store) Close() error { return nil }

// nextRev returns a fresh revision; s.mu is held.
func (s *Store) nextRev() string {
	s.rev++
	return strconv.FormatInt(s.rev, 10)
}

// begin starts one operation: it counts the round trip and fails as a
// backend does once the caller's deadline has passed.
func (s *Store) begin(ctx context.Context) error {
	s.roundTrips.Add(1)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", datastore.ErrUnavailable, err)
	}
	return nil
}

func cloneHandle(h datastore.Handle) datastore.Handle {
	h.Block = maps.Clone(h.Block)
	return h
}
