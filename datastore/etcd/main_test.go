package etcd

import (
	"context"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
	"github.com/calico-win/cni/internal/etcdtest"
	"github.com/calico-win/cni/internal/testctx"
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

func testCtx(t testing.TB) context.Context { return testctx.New(t, 20*time.Second) }

func TestContractIntegration(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (datastore.Store, storetest.Seeder) {
		s, srv := newTestStore(t)
		return s, srv.Seeder()
	})
}
