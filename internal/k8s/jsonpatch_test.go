package k8s

import (
	"errors"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

func TestPatchPath(t *testing.T) {
	for in, want := range map[string]string{"cni.projectcalico.org/podIP": "/metadata/annotations/cni.projectcalico.org~1podIP",
		"a~b": "/metadata/annotations/a~0b"} {
		if got := PatchPath("metadata", "annotations", in); got != want {
			t.Errorf("PatchPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestJSONPatchPodStatusIntegration: the "test" operations are
// preconditions on exactly the fields they name: a failed one is a
// conflict and changes nothing; other changes to the pod do not matter.
func TestJSONPatchPodStatusIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	uid := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "p1", Node: "node1", Annotations: map[string]string{"cni.projectcalico.org/containerID": "a"}})
	c := cniClient(t, srv)
	ip := PatchPath("metadata", "annotations", "cni.projectcalico.org/podIP")
	cid := PatchPath("metadata", "annotations", "cni.projectcalico.org/containerID")
	// Another writer changes the pod: no precondition here depends on it.
	if code, body, err := srv.AdminPatch("/api/v1/namespaces/default/pods/p1", []byte(`{"metadata":{"labels":{"x":"y"}}}`)); err != nil || code != 200 {
		t.Fatalf("label update: %d %s %v", code, body, err)
	}
	for _, tc := range []struct {
		name string
		ops  []PatchOp
		want error
		ip   string // podIP after
	}{
		{"other uid", []PatchOp{{"test", "/metadata/uid", "00000000-0000-0000-0000-000000000000"}, {"add", ip, "10.0.0.1/32"}}, datastore.ErrConflict, ""},
		{"other container", []PatchOp{{"test", cid, "b"}, {"add", ip, "10.0.0.1/32"}}, datastore.ErrConflict, ""},
		{"same uid and container", []PatchOp{{"test", "/metadata/uid", uid}, {"test", cid, "a"}, {"add", ip, "10.0.0.1/32"}}, nil, "10.0.0.1/32"},
	} {
		_, err := c.JSONPatchPodStatus(testCtx(t), "default", "p1", tc.ops)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
		p, err := c.GetPod(testCtx(t), "default", "p1")
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Metadata.Annotations["cni.projectcalico.org/podIP"]; got != tc.ip {
			t.Errorf("%s: podIP %q after, want %q", tc.name, got, tc.ip)
		}
	}
	_, err := c.JSONPatchPodStatus(testCtx(t), "default", "absent", []PatchOp{{"add", ip, ""}})
	if !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("patch of a missing pod: %v, want ErrNotFound", err)
	}
}
