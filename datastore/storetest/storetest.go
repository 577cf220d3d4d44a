// Package storetest is the contract every datastore.Store backend passes:
// run it from the backend's tests against a real server.
//
//	storetest.Run(t, func(t *testing.T) (datastore.Store, storetest.Seeder) { ... })
//
// It owns the meaning of the Store interface (what absent objects look like,
// which sentinel error each lost write returns, what a Change guarantees);
// anything a backend does beyond it is tested in the backend's own package.
//
// It must not import any backend, ipam or plugin.
package storetest

import (
	"testing"

	"github.com/calico-win/cni/datastore"
)

// Seeder writes the objects the plugin only reads, as Calico's own tools
// store them in the backend under test (etcd keys, or Kubernetes objects).
// Each Seed method creates the object or replaces it.
type Seeder interface {
	// Capabilities says which optional guarantees the backend gives.
	Capabilities() Capabilities
	SeedIPAMConfig(t testing.TB, c datastore.IPAMConfig)
	// SeedIPPool stores a pool; p is complete (no field relies on defaults).
	SeedIPPool(t testing.TB, p datastore.IPPool)
	SeedNode(t testing.TB, n datastore.Node)
	// SeedClusterInformation stores ClusterInformation "default"; a nil
	// ready leaves spec.datastoreReady out.
	SeedClusterInformation(t testing.TB, ready *bool)
	// SeedIPReservation stores an IPReservation of these CIDRs or addresses.
	SeedIPReservation(t testing.TB, name string, cidrs []string)
	// SeedPod makes the workload an endpoint belongs to exist, for backends
	// that record endpoints on it (Kubernetes pods); others do nothing.
	SeedPod(t testing.TB, namespace, name string)
}

// Capabilities are the guarantees some backends cannot give.
type Capabilities struct {
	// AtomicChanges: a Change is applied all or nothing (etcd transactions).
	// Without it, a Change that fails part way may have written its earlier
	// objects (Kubernetes applies them one by one, in a crash-safe order).
	AtomicChanges bool
	// NodeWrites: the store's identity may write the Node. On Kubernetes
	// Calico's calico-cni-plugin role may only read it: SetVXLANTunnel is
	// ErrUnauthorized there and changes nothing.
	NodeWrites bool
}

// NewStore returns a Store on an empty datastore, and its Seeder. It is
// called once per case; the Store is closed when the case ends.
type NewStore func(t *testing.T) (datastore.Store, Seeder)

// Run runs the contract, one subtest per case. Cases run one after the
// other, so backends may share one server and wipe it in NewStore.
func Run(t *testing.T, newStore NewStore) {
	cases := []struct {
		name string
		run  func(t *testing.T, s datastore.Store, seed Seeder)
	}{
		{"ReadEmpty", testReadEmpty},
		{"ReadIPAMConfig", testReadIPAMConfig},
		{"ReadPools", testReadPools},
		{"ReadClusterInformation", testReadClusterInformation},
		{"ReadNode", testReadNode},
		{"ReadIPReservations", testReadReservations},
		{"ReadAffinitiesOfOneHost", testReadAffinities},
		{"CommitCreateReadBack", testCommitCreate},
		{"CommitUpdate", testCommitUpdate},
		{"CommitWritten", testCommitWritten},
		{"CommitStaleRevConflicts", testCommitStale},
		{"CommitCreateExisting", testCommitCreateExisting},
		{"CommitMissingTarget", testCommitMissing},
		{"CommitDelete", testCommitDelete},
		{"CommitEmptyChange", testCommitEmpty},
		{"CommitAtomic", testCommitAtomic},
		{"BlocksExist", testBlocksExist},
		{"ListHandleIDs", testListHandleIDs},
		{"WorkloadEndpointLifecycle", testEndpointLifecycle},
		{"WorkloadEndpointAbsent", testEndpointAbsent},
		{"ConcurrentHandleIncrements", testConcurrentIncrements},
		{"SetVXLANTunnel", testSetVXLANTunnel},
	}
	cases = append(cases, parityCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, seed := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c.run(t, s, seed)
		})
	}
}
