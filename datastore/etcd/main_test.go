package etcd

import (
	"context"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
	"github.com/calico-win/cni/internal/etcdtest"
)

// Every test here but the unit tests of errors_test.go runs against a real
// etcd: one per test binary (etcdtest.Shared), wiped of /calico per test.
func TestMain(m *testing.M) { etcdtest.Main(m) }

// newTestStore returns a Store on the shared etcd, emptied of /calico.
func newTestStore(t testing.TB) (*Store, *etcdtest.Server) {
	t.Helper()
	srv := etcdtest.Shared(t)
	s, err := New(Config{Endpoints: srv.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, srv
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

// seeder seeds etcd as calicoctl and calico-node do.
type seeder struct{ srv *etcdtest.Server }

func (seeder) Capabilities() storetest.Capabilities {
	return storetest.Capabilities{AtomicChanges: true, NodeWrites: true}
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

func (seeder) SeedPod(testing.TB, string, string) {} // endpoints are their own resource in etcd
