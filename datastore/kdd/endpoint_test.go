package kdd

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

var webKey = datastore.WEPKey{Namespace: "default", Name: "win--node--1-k8s-web--0-eth0"}

func webEndpoint(containerID, ip string) datastore.WorkloadEndpoint {
	return datastore.WorkloadEndpoint{Kind: "WorkloadEndpoint", APIVersion: "projectcalico.org/v3",
		Metadata: datastore.ObjectMeta{Name: webKey.Name, Namespace: webKey.Namespace},
		Spec: datastore.WorkloadEndpointSpec{Orchestrator: "k8s", Node: goldenHost, Pod: "web-0", Endpoint: "eth0",
			ContainerID: containerID, IPNetworks: []string{ip}}}
}

// calicoAnnotations are the pod's cni.projectcalico.org annotations.
func calicoAnnotations(t testing.TB, srv *kastest.Server) map[string]string {
	t.Helper()
	var p struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	srv.Object(t, "/api/v1/namespaces/default/pods/web-0", &p)
	got := map[string]string{}
	for k, v := range p.Metadata.Annotations {
		if k == AnnotationPodIP || k == AnnotationPodIPs || k == AnnotationContainerID {
			got[k] = v
		}
	}
	return got
}

// TestEndpointAnnotationsIntegration: the endpoint is the pod's three
// annotations, as Calico writes them; a delete empties the addresses and
// keeps the container ID, and Get reports the container ID that DEL's
// old-sandbox rule compares.
func TestEndpointAnnotationsIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	uid := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: goldenHost, ServiceAccount: "web",
		Labels: map[string]string{"app": "web"}})

	revA, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("sandbox-a", "10.244.5.3/32")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{AnnotationPodIP: "10.244.5.3/32", AnnotationPodIPs: "10.244.5.3/32", AnnotationContainerID: "sandbox-a"}
	if got := calicoAnnotations(t, srv); !maps.Equal(got, want) {
		t.Errorf("annotations after ADD of sandbox a: %v, want %v", got, want)
	}

	// A new sandbox of the same pod (its ADD came before the old one's DEL).
	revB, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("sandbox-b", "10.244.5.4/32"), Rev: revA})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetWorkloadEndpoint(testCtx(t), webKey)
	if err != nil {
		t.Fatal(err)
	}
	w := got.Value
	if got.Rev != revB || w.Spec.ContainerID != "sandbox-b" || w.Spec.IPNetworks[0] != "10.244.5.4/32" || w.Metadata.UID != uid ||
		w.Spec.Node != goldenHost || w.Spec.Pod != "web-0" || w.Spec.Endpoint != "eth0" || w.Spec.ServiceAccountName != "web" ||
		w.Metadata.Labels["app"] != "web" || w.Metadata.Labels["projectcalico.org/namespace"] != "default" ||
		w.Metadata.Labels["projectcalico.org/orchestrator"] != "k8s" || w.Metadata.Labels["projectcalico.org/serviceaccount"] != "web" {
		t.Errorf("Get after sandbox b = %+v (rev %s, want %s)", got, got.Rev, revB)
	}

	if err := s.DeleteWorkloadEndpoint(testCtx(t), webKey, revB); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{AnnotationPodIP: "", AnnotationPodIPs: "", AnnotationContainerID: "sandbox-b"}
	if got := calicoAnnotations(t, srv); !maps.Equal(got, want) {
		t.Errorf("annotations after DEL: %v, want %v", got, want)
	}
	if _, err := s.GetWorkloadEndpoint(testCtx(t), webKey); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Get after DEL: %v, want ErrNotFound", err)
	}
}

// TestEndpointOfReplacedPodIntegration: a pod deleted and created again
// under the same name is another endpoint: a write at the old pod's
// revision does not touch the new pod.
func TestEndpointOfReplacedPodIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: goldenHost})
	rev, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("sandbox-a", "10.244.5.3/32")})
	if err != nil {
		t.Fatal(err)
	}
	srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: goldenHost})
	_, err = s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("sandbox-a", "10.244.5.3/32"), Rev: rev})
	if !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("update at the old pod's revision: %v, want ErrNotFound", err)
	}
	if err := s.DeleteWorkloadEndpoint(testCtx(t), webKey, rev); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("delete at the old pod's revision: %v, want ErrNotFound", err)
	}
	if got := calicoAnnotations(t, srv); len(got) != 0 {
		t.Errorf("the new pod got annotations: %v", got)
	}
	srv.DeletePod(t, "default", "web-0")
	_, err = s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("sandbox-a", "10.244.5.3/32")})
	if !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("create for a pod that does not exist: %v, want ErrNotFound", err)
	}
}

// TestNonPodEndpointIntegration: a workload that is not a pod (no
// K8S_POD_* in CNI_ARGS: orchestrator cni) has no endpoint on the
// Kubernetes datastore: reads find none, so a DEL goes on with its cleanup,
// and a write says why it cannot be.
func TestNonPodEndpointIntegration(t *testing.T) {
	s, _ := newTestStore(t)
	k := datastore.WEPKey{Namespace: "default", Name: "win--node--1-cni-0a1298cf-eth0"}
	snap, err := s.Read(testCtx(t), datastore.Query{Endpoints: []datastore.WEPKey{k}})
	if err != nil || len(snap.Endpoints) != 0 {
		t.Errorf("Read = %+v, %v; want no endpoint and no error", snap, err)
	}
	if _, err := s.GetWorkloadEndpoint(testCtx(t), k); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if err := s.DeleteWorkloadEndpoint(testCtx(t), k, ""); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Delete: %v, want ErrNotFound", err)
	}
	w := webEndpoint("0a1298cf", "10.244.5.3/32")
	w.Metadata.Name, w.Spec.Orchestrator = k.Name, "cni"
	_, err = s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: w})
	if err == nil || errors.Is(err, datastore.ErrNotFound) || !strings.Contains(err.Error(), "only pod endpoints") {
		t.Errorf("Put: %v, want an error saying only pods have endpoints here", err)
	}
	if got := s.Requests(); got != 0 {
		t.Errorf("%d API requests for an endpoint that cannot exist", got)
	}
}
