package etcdtest

import (
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
)

// Seeder is the server as the etcd backend's storetest.Seeder. etcd
// transactions make a Change all or nothing; endpoints are their own
// resource, so there are no pods to seed.
func (s *Server) Seeder() storetest.Seeder {
	return storetest.ServerSeeder{
		Puts: s,
		Caps: storetest.Capabilities{AtomicChanges: true},
		Node: func(t testing.TB, n datastore.Node) { t.Helper(); s.PutNode(t, n.Name, n.Labels) },
	}
}
