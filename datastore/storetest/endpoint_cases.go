package storetest

import (
	"reflect"
	"testing"

	"github.com/calico-win/cni/datastore"
)

var wepKey = datastore.WEPKey{Namespace: "default", Name: "node1-k8s-pod1-eth0"}

func newEndpoint(ip string) datastore.WorkloadEndpoint {
	return datastore.WorkloadEndpoint{
		Kind:       "WorkloadEndpoint",
		APIVersion: "projectcalico.org/v3",
		Metadata: datastore.ObjectMeta{
			Name: wepKey.Name, Namespace: wepKey.Namespace,
			Labels: map[string]string{"projectcalico.org/namespace": "default", "projectcalico.org/orchestrator": "k8s"},
		},
		Spec: datastore.WorkloadEndpointSpec{
			Orchestrator: "k8s", Node: "node1", ContainerID: "0a1298cf", Pod: "pod1", Endpoint: "eth0",
			IPNetworks: []string{ip}, Profiles: []string{"kns.default"}, InterfaceName: "cali0a1298cf11",
		},
	}
}

// checkEndpoint compares what every backend keeps of an endpoint: the
// addresses and the container that owns them.
func checkEndpoint(t *testing.T, what string, got *datastore.Versioned[datastore.WorkloadEndpoint], want datastore.WorkloadEndpoint, rev string) {
	t.Helper()
	if got.Rev != rev {
		t.Errorf("%s: Rev = %q, want %q (returned by the write)", what, got.Rev, rev)
	}
	if !reflect.DeepEqual(got.Value.Spec.IPNetworks, want.Spec.IPNetworks) || got.Value.Spec.ContainerID != want.Spec.ContainerID {
		t.Errorf("%s: got ipNetworks %v of %q, want %v of %q", what,
			got.Value.Spec.IPNetworks, got.Value.Spec.ContainerID, want.Spec.IPNetworks, want.Spec.ContainerID)
	}
}

func testEndpointLifecycle(t *testing.T, s datastore.Store, seed Seeder) {
	seed.SeedPod(t, wepKey.Namespace, "pod1")
	w := newEndpoint("10.244.166.129/32")
	rev1, err := s.PutWorkloadEndpoint(ctx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: w})
	if err != nil || rev1 == "" {
		t.Fatalf("create: rev %q, err %v", rev1, err)
	}
	got, err := s.GetWorkloadEndpoint(ctx(t), wepKey)
	if err != nil {
		t.Fatalf("Get after create: %v", err)
	}
	checkEndpoint(t, "after create", got, w, rev1)
	if snap := read(t, s, datastore.Query{Endpoints: []datastore.WEPKey{wepKey}}); len(snap.Endpoints) == 1 {
		e := snap.Endpoints[wepKey]
		checkEndpoint(t, "Read", &e, w, rev1)
	} else {
		t.Errorf("Read of the endpoint: %+v", snap.Endpoints)
	}

	_, err = s.PutWorkloadEndpoint(ctx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: w})
	wantErr(t, "second create", err, datastore.ErrExists)

	w2 := got.Value
	w2.Spec.IPNetworks = []string{"10.244.166.130/32"}
	rev2, err := s.PutWorkloadEndpoint(ctx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: w2, Rev: rev1})
	if err != nil || rev2 == "" || rev2 == rev1 {
		t.Fatalf("update at %s: rev %q, err %v", rev1, rev2, err)
	}
	got, err = s.GetWorkloadEndpoint(ctx(t), wepKey)
	if err != nil {
		t.Fatalf("Get after update: %v", err)
	}
	checkEndpoint(t, "after update", got, w2, rev2)

	_, err = s.PutWorkloadEndpoint(ctx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: w, Rev: rev1})
	wantErr(t, "update at a stale Rev", err, datastore.ErrConflict)
	wantErr(t, "delete at a stale Rev", s.DeleteWorkloadEndpoint(ctx(t), wepKey, rev1), datastore.ErrConflict)

	if err := s.DeleteWorkloadEndpoint(ctx(t), wepKey, rev2); err != nil {
		t.Fatalf("delete at %s: %v", rev2, err)
	}
	_, err = s.GetWorkloadEndpoint(ctx(t), wepKey)
	wantErr(t, "Get after delete", err, datastore.ErrNotFound)
	wantErr(t, "second delete", s.DeleteWorkloadEndpoint(ctx(t), wepKey, rev2), datastore.ErrNotFound)
}

func testEndpointAbsent(t *testing.T, s datastore.Store, seed Seeder) {
	seed.SeedPod(t, wepKey.Namespace, "pod1")
	_, err := s.GetWorkloadEndpoint(ctx(t), wepKey)
	wantErr(t, "Get of a missing endpoint", err, datastore.ErrNotFound)
	wantErr(t, "Delete of a missing endpoint", s.DeleteWorkloadEndpoint(ctx(t), wepKey, ""), datastore.ErrNotFound)
	_, err = s.PutWorkloadEndpoint(ctx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: newEndpoint("10.244.166.129/32"), Rev: "12345"})
	wantErr(t, "update of a missing endpoint", err, datastore.ErrNotFound)
}
