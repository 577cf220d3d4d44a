package kdd

import (
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// TestPodReadIntegration: a Read of an endpoint leaves its pod for the
// caller (PodRead), as it found it: nil when there was no pod, and not read
// at all before the endpoint was.
func TestPodReadIntegration(t *testing.T) {
	s, srv := newTestStoreIn(t, kastest.CRDsV1)
	if _, seen := s.PodRead(webKey); seen {
		t.Fatal("PodRead before any read says the pod was read")
	}
	if _, err := s.Read(testCtx(t), datastore.Query{Endpoints: []datastore.WEPKey{webKey}}); err != nil {
		t.Fatal(err)
	}
	if p, seen := s.PodRead(webKey); !seen || p != nil {
		t.Fatalf("PodRead of a pod that does not exist: %v, %v; want nil, true", p, seen)
	}
	srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: "win-node-1", ServiceAccount: "sa1",
		Labels: map[string]string{"app": "web"}})
	if _, err := s.Read(testCtx(t), datastore.Query{Endpoints: []datastore.WEPKey{webKey}}); err != nil {
		t.Fatal(err)
	}
	p, seen := s.PodRead(webKey)
	if !seen || p == nil || p.Metadata.Name != "web-0" || p.Metadata.Labels["app"] != "web" || p.Spec.ServiceAccountName != "sa1" || p.Metadata.UID == "" {
		t.Fatalf("PodRead: %+v, %v; want pod default/web-0 with its labels, service account and UID", p, seen)
	}
}
