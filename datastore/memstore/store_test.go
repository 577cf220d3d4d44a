package memstore_test

import (
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/memstore"
	"github.com/calico-win/cni/datastore/storetest"
)

// The in-memory store passes the contract the real backends pass.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (datastore.Store, storetest.Seeder) {
		s := memstore.New()
		return s, seeder{s}
	})
}

type seeder struct{ s *memstore.Store }

func (seeder) Capabilities() storetest.Capabilities {
	return storetest.Capabilities{AtomicChanges: true, NodeWrites: true}
}

func (x seeder) SeedIPAMConfig(_ testing.TB, c datastore.IPAMConfig) { x.s.PutIPAMConfig(c) }
func (x seeder) SeedIPPool(_ testing.TB, p datastore.IPPool)         { x.s.PutIPPool(p) }
func (x seeder) SeedNode(_ testing.TB, n datastore.Node)             { x.s.PutNode(n) }
func (x seeder) SeedClusterInformation(_ testing.TB, ready *bool)    { x.s.PutClusterInformation(ready) }
func (seeder) SeedPod(testing.TB, string, string)                    {} // endpoints are their own objects, as in etcd

func (x seeder) SeedIPReservation(t testing.TB, name string, cidrs []string) {
	t.Helper()
	if err := x.s.PutIPReservation(name, cidrs); err != nil {
		t.Fatal(err)
	}
}
