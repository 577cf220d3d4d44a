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
// server with the v1 CRDs, emptied of Calico objects, nodes and pods.
func newTestStore(t testing.TB) (*Store, *kastest.Server) {
	t.Helper()
	return newTestStoreIn(t, kastest.CRDsV1)
}

// newTestStoreIn is newTestStore on the shared server with the CRD set
// crds, in the group Calico uses there (configured, not discovered).
func newTestStoreIn(t testing.TB, crds kastest.CRDSet) (*Store, *kastest.Server) {
	t.Helper()
	srv := kastest.SharedWith(t, crds)
	return storeFor(t, srv.CNIKubeconfig(t), srv.CalicoAPIVersion()), srv
}

// bothGroups runs test once on a v1 cluster and once on a v3 one.
func bothGroups(t *testing.T, test func(t *testing.T, crds kastest.CRDSet)) {
	for _, crds := range []kastest.CRDSet{kastest.CRDsV1, kastest.CRDsV3} {
		t.Run(crds.String(), func(t *testing.T) { test(t, crds) })
	}
}

// storeFor is a Store with kubeconfig's identity, in crd.projectcalico.org/v1
// or in the group given (as calico_api_group names it).
func storeFor(t testing.TB, kubeconfig string, group ...string) *Store {
	t.Helper()
	g := GroupV1.String()
	if len(group) > 0 {
		g = group[0]
	}
	s, err := New(Config{Config: k8s.Config{Kubeconfig: kubeconfig}, APIGroup: g})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testCtx(t testing.TB) context.Context { return testctx.New(t, 20*time.Second) }

// TestContractIntegration runs the contract suite on a cluster with
// Calico's v1 CRDs and on one with its v3 CRDs.
func TestContractIntegration(t *testing.T) {
	bothGroups(t, func(t *testing.T, crds kastest.CRDSet) {
		storetest.Run(t, func(t *testing.T) (datastore.Store, storetest.Seeder) {
			s, srv := newTestStoreIn(t, crds)
			return s, srv.Seeder()
		})
	})
}
