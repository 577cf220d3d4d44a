package kdd

import (
	"context"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
	"github.com/calico-win/cni/internal/testctx"
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

func testCtx(t testing.TB) context.Context { return testctx.New(t, 20*time.Second) }

func TestContractIntegration(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (datastore.Store, storetest.Seeder) {
		s, srv := newTestStore(t)
		return s, srv.Seeder()
	})
}
