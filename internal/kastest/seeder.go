package kastest

import (
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
)

// A Server is the storetest.Seeder of the Kubernetes backend's tests: it
// stores what the plugin only reads as an administrator, calicoctl and the
// kubelet do.
var _ storetest.Seeder = (*Server)(nil)

// Capabilities: Kubernetes has no multi-object transactions. A Change that
// loses part way is rolled back (datastore/kdd's
// TestCommitRollbackIntegration), but readers can see it half applied
// meanwhile, and a crash leaves it so.
func (*Server) Capabilities() storetest.Capabilities {
	return storetest.Capabilities{AtomicChanges: false}
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

// SeedPod creates the pod on node1: the backend records endpoints on it.
func (s *Server) SeedPod(t testing.TB, namespace, name string) {
	t.Helper()
	s.PutPod(t, Pod{Namespace: namespace, Name: name, Node: "node1"})
}
