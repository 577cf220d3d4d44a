package kdd

import (
	"context"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
)

// Every test here but the unit tests of names_test.go and wepname_test.go
// runs against a real kube-apiserver with Calico's CRDs: one per test binary
// (kastest.Shared), wiped per test, reached with the token of a
// ServiceAccount bound to Calico's calico-cni-plugin ClusterRole.
func TestMain(m *testing.M) { kastest.Main(m) }

// newTestStore returns a Store with the CNI plugin's identity on the shared
// server, emptied of Calico objects, nodes and pods.
func newTestStore(t testing.TB) (*Store, *kastest.Server) {
	t.Helper()
	srv := kastest.Shared(t)
	return storeFor(t, srv.CNIKubeconfig(t)), srv
}

func storeFor(t testing.TB, kubeconfig string) *Store {
	t.Helper()
	s, err := New(Config{Config: k8s.Config{Kubeconfig: kubeconfig}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestIntegrationContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (datastore.Store, storetest.Seeder) {
		s, srv := newTestStore(t)
		return s, seeder{srv}
	})
}

// seeder seeds the API server as an administrator, calicoctl and the
// kubelet do.
type seeder struct{ srv *kastest.Server }

// Capabilities: Kubernetes has no multi-object transactions. A Change that
// loses part way is rolled back (TestIntegrationCommitRollback), but
// readers can see it half applied meanwhile, and a crash leaves it so.
func (seeder) Capabilities() storetest.Capabilities {
	return storetest.Capabilities{AtomicChanges: false, NodeWrites: false}
}

func (s seeder) SeedIPAMConfig(t testing.TB, c datastore.IPAMConfig) {
	s.srv.PutIPAMConfig(t, c.StrictAffinity, c.AutoAllocateBlocks, c.MaxBlocksPerHost)
}

func (s seeder) SeedIPPool(t testing.TB, p datastore.IPPool) { s.srv.PutIPPool(t, p) }

func (s seeder) SeedNode(t testing.TB, n datastore.Node) { s.srv.PutNode(t, n.Name, n.Labels) }

func (s seeder) SeedIPReservation(t testing.TB, name string, cidrs []string) {
	s.srv.PutIPReservation(t, name, cidrs)
}

func (s seeder) SeedClusterInformation(t testing.TB, ready *bool) {
	s.srv.PutClusterInformation(t, ready)
}

func (s seeder) SeedPod(t testing.TB, namespace, name string) {
	s.srv.PutPod(t, kastest.Pod{Namespace: namespace, Name: name, Node: "node1"})
}
