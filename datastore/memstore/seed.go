package memstore

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/datastore"
)

// The objects the plugin only reads, written as calicoctl and calico-node
// would. Each Put creates the object or replaces it.

// PutIPAMConfig stores the IPAMConfig.
func (s *Store) PutIPAMConfig(c datastore.IPAMConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config = &c
}

// PutIPPool stores a pool; read back with Calico's defaults filled in.
func (s *Store) PutIPPool(p datastore.IPPool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.CIDR = p.CIDR.Masked()
	p.AllowedUses = slices.Clone(p.AllowedUses)
	s.pools[p.Name] = p
}

// DeleteIPPool deletes a pool.
func (s *Store) DeleteIPPool(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pools, name)
}

// PutNode stores a Calico Node.
func (s *Store) PutNode(n datastore.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[n.Name] = n
}

// PutClusterInformation stores ClusterInformation "default"; nil ready
// leaves datastoreReady out.
func (s *Store) PutClusterInformation(ready *bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clusterInfo = &datastore.ClusterInformation{DatastoreReady: ready}
}

// PutIPReservation stores an IPReservation of these CIDRs or addresses.
func (s *Store) PutIPReservation(name string, cidrs []string) error {
	var ps []netip.Prefix
	for _, c := range cidrs {
		p, err := datastore.ParseReservedCIDR(c)
		if err != nil {
			return fmt.Errorf("IPReservation %s: %w", name, err)
		}
		ps = append(ps, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reservations[name] = ps
	return nil
}
