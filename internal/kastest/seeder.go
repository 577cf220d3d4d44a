package kastest

import (
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
)

// Seeder is the server as the Kubernetes backend's storetest.Seeder.
// Kubernetes has no multi-object transactions: a Change that loses part
// way is rolled back (datastore/kdd's TestCommitRollbackIntegration), but
// readers can see it half applied meanwhile, and a crash leaves it so. The
// backend records endpoints on pods, which are created on node1.
func (s *Server) Seeder() storetest.Seeder {
	return storetest.ServerSeeder{
		Puts: s,
		Caps: storetest.Capabilities{AtomicChanges: false},
		Node: func(t testing.TB, n datastore.Node) { t.Helper(); s.PutNode(t, n.Name, n.Labels) },
		Pod: func(t testing.TB, namespace, name string) {
			t.Helper()
			s.PutPod(t, Pod{Namespace: namespace, Name: name, Node: "node1"})
		},
	}
}
