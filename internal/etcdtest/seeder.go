package etcdtest

import (
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
)

// A Server is the storetest.Seeder of the etcd backend's tests: it stores
// what the plugin only reads as calicoctl and calico-node do.
var _ storetest.Seeder = (*Server)(nil)

// Capabilities: etcd transactions make a Change all or nothing.
func (*Server) Capabilities() storetest.Capabilities {
	return storetest.Capabilities{AtomicChanges: true}
}

func (s *Server) SeedIPAMConfig(t testing.TB, c datastore.IPAMConfig) {
	t.Helper()
	s.PutIPAMConfig(t, c.StrictAffinity, c.AutoAllocateBlocks, c.MaxBlocksPerHost)
}

func (s *Server) SeedIPPool(t testing.TB, p datastore.IPPool) { t.Helper(); s.PutIPPool(t, p) }

func (s *Server) SeedNode(t testing.TB, n datastore.Node) { t.Helper(); s.PutNode(t, n.Name, n.Labels) }

func (s *Server) SeedIPReservation(t testing.TB, name string, cidrs []string) {
	t.Helper()
	s.PutIPReservation(t, name, cidrs)
}

func (s *Server) SeedClusterInformation(t testing.TB, ready *bool) {
	t.Helper()
	s.PutClusterInformation(t, ready)
}

// SeedPod does nothing: endpoints are their own resource in etcd.
func (*Server) SeedPod(testing.TB, string, string) {}
