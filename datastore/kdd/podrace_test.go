package kdd

import (
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
	"github.com/calico-win/cni/internal/faultproxy"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
)

var raceKey = datastore.WEPKey{Namespace: "default", Name: "node1-k8s-web--0-eth0"}

func raceEndpoint(containerID, uid, ip string) datastore.WorkloadEndpoint {
	return datastore.WorkloadEndpoint{
		Metadata: datastore.ObjectMeta{Name: raceKey.Name, Namespace: raceKey.Namespace, UID: uid},
		Spec:     datastore.WorkloadEndpointSpec{Orchestrator: "k8s", ContainerID: containerID, IPNetworks: []string{ip}},
	}
}

// TestRecreatedPodIntegration: a pod deleted and recreated under the same
// name while the old sandbox's ADD is in flight. The old sandbox's writes
// are conditioned on the old pod instance, so its ADD never writes its
// address on the new pod, and its DEL never blanks the new pod's.
func TestRecreatedPodIntegration(t *testing.T) {
	for _, tc := range []struct {
		name    string
		passUID bool // the runtime passed K8S_POD_UID
	}{{"K8S_POD_UID passed", true}, {"no K8S_POD_UID", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := newTestStore(t)
			uid1 := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: "node1"})
			// The old sandbox's ADD reads the endpoint (absent), as the
			// first read of an ADD does.
			if _, err := s.Read(testCtx(t), datastore.Query{Endpoints: []datastore.WEPKey{raceKey}}); err != nil {
				t.Fatal(err)
			}
			// The pod is deleted and created again meanwhile.
			uid2 := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: "node1"})
			old := raceEndpoint("old-sandbox", "", "10.244.0.5/32")
			if tc.passUID {
				old.Metadata.UID = uid1
			}
			_, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: old})
			if !errors.Is(err, ErrPodGone) || !errors.Is(err, datastore.ErrNotFound) {
				t.Errorf("the old sandbox's ADD: %v, want ErrPodGone", err)
			}
			if got := calicoAnnotations(t, srv); len(got) != 0 {
				t.Fatalf("the old sandbox's ADD wrote on the new pod: %v", got)
			}
			// The new sandbox's ADD.
			s2 := storeFor(t, srv.CNIKubeconfig(t))
			_, err = s2.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: raceEndpoint("new-sandbox", uid2, "10.244.0.6/32")})
			if err != nil {
				t.Fatalf("the new sandbox's ADD: %v", err)
			}
			want := map[string]string{AnnotationPodIP: "10.244.0.6/32", AnnotationPodIPs: "10.244.0.6/32", AnnotationContainerID: "new-sandbox"}
			storetest.SameJSON(t, "after the new ADD", calicoAnnotations(t, srv), want)
		})
	}
	t.Run("old sandbox's DEL", func(t *testing.T) {
		s, srv := newTestStore(t)
		srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: "node1"})
		if _, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: raceEndpoint("old-sandbox", "", "10.244.0.5/32")}); err != nil {
			t.Fatal(err)
		}
		// The old sandbox's DEL read its endpoint ...
		w, err := s.GetWorkloadEndpoint(testCtx(t), raceKey)
		if err != nil {
			t.Fatal(err)
		}
		// ... then the pod was recreated and the new sandbox added.
		uid2 := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: "node1"})
		s2 := storeFor(t, srv.CNIKubeconfig(t))
		if _, err := s2.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: raceEndpoint("new-sandbox", uid2, "10.244.0.6/32")}); err != nil {
			t.Fatal(err)
		}
		err = s.DeleteWorkloadEndpoint(testCtx(t), raceKey, w.Rev)
		if !errors.Is(err, datastore.ErrNotFound) {
			t.Errorf("the old sandbox's DEL: %v, want ErrNotFound (its endpoint is gone with its pod)", err)
		}
		want := map[string]string{AnnotationPodIP: "10.244.0.6/32", AnnotationPodIPs: "10.244.0.6/32", AnnotationContainerID: "new-sandbox"}
		storetest.SameJSON(t, "after the old DEL", calicoAnnotations(t, srv), want)
	})
}

// TestPodChurnIntegration: other writers updating the pod (~50 label
// updates a second) fail no endpoint write: ADD and DEL do not depend on
// the pod's resourceVersion.
func TestPodChurnIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	uid := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: "node1"})
	stop := srv.ChurnPod(t, "default", "web-0", 20*time.Millisecond)
	failures := 0
	const cycles = 30
	for i := range cycles {
		cid := "sandbox-" + itoa(uint64(i))
		// ADD: the first read, then the write, with a little work between
		// (HNS, in the plugin) for the churn to land in.
		snap, err := s.Read(testCtx(t), datastore.Query{Endpoints: []datastore.WEPKey{raceKey}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := snap.Endpoints[raceKey]; ok {
			t.Fatalf("cycle %d: the endpoint exists before its ADD", i)
		}
		waitChurn(t, srv)
		if _, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: raceEndpoint(cid, uid, "10.244.0.5/32")}); err != nil {
			t.Errorf("cycle %d ADD: %v", i, err)
			failures++
			continue
		}
		// DEL: read, then delete at the revision read.
		w, err := s.GetWorkloadEndpoint(testCtx(t), raceKey)
		if err != nil {
			t.Fatal(err)
		}
		waitChurn(t, srv)
		if err := s.DeleteWorkloadEndpoint(testCtx(t), raceKey, w.Rev); err != nil {
			t.Errorf("cycle %d DEL: %v", i, err)
			failures++
		}
	}
	churned := stop()
	if churned < cycles {
		t.Errorf("only %d churn updates landed during %d cycles: the test did not churn", churned, cycles)
	}
	t.Logf("%d cycles under %d pod updates, %d failed", cycles, churned, failures)
}

// waitChurn returns once the pod has been updated by another writer: what
// happens between an ADD's or DEL's read and its write under churn.
func waitChurn(t testing.TB, srv *kastest.Server) {
	t.Helper()
	var p struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	srv.Object(t, "/api/v1/namespaces/default/pods/web-0", &p)
	start := p.Metadata.ResourceVersion
	deadline := time.Now().Add(5 * time.Second)
	for p.Metadata.ResourceVersion == start {
		if time.Now().After(deadline) {
			t.Fatal("no churn for 5s")
		}
		srv.Object(t, "/api/v1/namespaces/default/pods/web-0", &p)
	}
}

// TestEndpointLostReplyIntegration: an annotation PATCH that lands while
// its reply is lost is resolved by reading the pod: the ADD's and the DEL's
// writes succeed.
func TestEndpointLostReplyIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	uid := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: "node1"})
	p, kc := faultproxy.Start(t, srv.CNIKubeconfig(t))
	s, err := New(Config{Config: k8s.Config{Kubeconfig: kc, Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rule := &faultproxy.Rule{Method: http.MethodPatch, Path: regexp.MustCompile(`/pods/web-0/status$`), Fault: faultproxy.DropReply}
	p.Add(rule)
	if _, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: raceEndpoint("sandbox", uid, "10.244.0.5/32")}); err != nil {
		t.Errorf("ADD's write with its reply lost: %v", err)
	}
	want := map[string]string{AnnotationPodIP: "10.244.0.5/32", AnnotationPodIPs: "10.244.0.5/32", AnnotationContainerID: "sandbox"}
	storetest.SameJSON(t, "after the ADD", calicoAnnotations(t, srv), want)
	p.Clear()
	w, err := s.GetWorkloadEndpoint(testCtx(t), raceKey)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(rule)
	if err := s.DeleteWorkloadEndpoint(testCtx(t), raceKey, w.Rev); err != nil {
		t.Errorf("DEL's write with its reply lost: %v", err)
	}
	want[AnnotationPodIP], want[AnnotationPodIPs] = "", ""
	storetest.SameJSON(t, "after the DEL", calicoAnnotations(t, srv), want)
	if rule.Fired() != 2 {
		t.Errorf("the fault fired %d times, want 2", rule.Fired())
	}
}
