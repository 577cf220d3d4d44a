package storetest

import (
	"testing"

	"github.com/calico-win/cni/datastore"
)

// Puts are the seeding methods internal/etcdtest's and internal/kastest's
// servers share: each stores the object as Calico's own tools do in that
// backend.
type Puts interface {
	PutIPAMConfig(t testing.TB, strictAffinity, autoAllocateBlocks bool, maxBlocksPerHost int)
	PutIPPool(t testing.TB, p datastore.IPPool)
	PutIPReservation(t testing.TB, name string, cidrs []string)
	PutClusterInformation(t testing.TB, ready *bool)
}

// ServerSeeder is the one Seeder of the backends' tests, over a test
// server's Puts. Node and Pod store what differs between backends (a
// Calico Node in etcd, a Kubernetes Node; pods only where endpoints live on
// them); a nil Pod does nothing.
type ServerSeeder struct {
	Puts
	Caps Capabilities
	Node func(t testing.TB, n datastore.Node)
	Pod  func(t testing.TB, namespace, name string)
}

var _ Seeder = ServerSeeder{}

func (s ServerSeeder) Capabilities() Capabilities { return s.Caps }

func (s ServerSeeder) SeedIPAMConfig(t testing.TB, c datastore.IPAMConfig) {
	t.Helper()
	s.PutIPAMConfig(t, c.StrictAffinity, c.AutoAllocateBlocks, c.MaxBlocksPerHost)
}

func (s ServerSeeder) SeedIPPool(t testing.TB, p datastore.IPPool) { t.Helper(); s.PutIPPool(t, p) }

func (s ServerSeeder) SeedNode(t testing.TB, n datastore.Node) { t.Helper(); s.Node(t, n) }

func (s ServerSeeder) SeedIPReservation(t testing.TB, name string, cidrs []string) {
	t.Helper()
	s.PutIPReservation(t, name, cidrs)
}

func (s ServerSeeder) SeedClusterInformation(t testing.TB, ready *bool) {
	t.Helper()
	s.PutClusterInformation(t, ready)
}

func (s ServerSeeder) SeedPod(t testing.TB, namespace, name string) {
	t.Helper()
	if s.Pod != nil {
		s.Pod(t, namespace, name)
	}
}
