package k8s

import (
	"errors"
	"reflect"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// TestCoreReadsIntegration: what the CNI role may read of pods, namespaces
// and nodes comes back in the plain structs.
func TestCoreReadsIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	srv.PutNamespace(t, "team-a", map[string]string{"team": "a"}, map[string]string{"cni.projectcalico.org/ipv4pools": `["pool-a"]`})
	srv.PutNode(t, "win-1", map[string]string{"kubernetes.io/os": "windows"}, "10.244.3.0/24")
	uid := srv.PutPod(t, kastest.Pod{Namespace: "team-a", Name: "web-0", Node: "win-1", ServiceAccount: "web",
		Labels: map[string]string{"app": "web"}, Ports: []kastest.Port{{Name: "http", ContainerPort: 80}, {ContainerPort: 53, Protocol: "UDP", HostPort: 5353}}})
	c := cniClient(t, srv)

	p, err := c.GetPod(testCtx(t), "team-a", "web-0")
	if err != nil {
		t.Fatal(err)
	}
	wantPorts := []ContainerPort{{Name: "http", ContainerPort: 80, Protocol: "TCP"}, {ContainerPort: 53, HostPort: 5353, Protocol: "UDP"}}
	if p.Metadata.UID != uid || p.Metadata.ResourceVersion == "" || p.Metadata.Labels["app"] != "web" || p.Spec.NodeName != "win-1" ||
		p.Spec.ServiceAccountName != "web" || len(p.Spec.Containers) != 1 || !reflect.DeepEqual(p.Spec.Containers[0].Ports, wantPorts) {
		t.Errorf("pod = %+v", p)
	}
	ns, err := c.GetNamespace(testCtx(t), "team-a")
	if err != nil || ns.Metadata.Labels["team"] != "a" || ns.Metadata.Annotations["cni.projectcalico.org/ipv4pools"] != `["pool-a"]` {
		t.Errorf("namespace = %+v, %v", ns, err)
	}
	n, err := c.GetNode(testCtx(t), "win-1")
	if err != nil || n.Metadata.Labels["kubernetes.io/os"] != "windows" || !reflect.DeepEqual(n.Spec.PodCIDRs, []string{"10.244.3.0/24"}) {
		t.Errorf("node = %+v, %v", n, err)
	}
	for name, get := range map[string]func() error{
		"pod":       func() error { _, err := c.GetPod(testCtx(t), "team-a", "absent"); return err },
		"namespace": func() error { _, err := c.GetNamespace(testCtx(t), "absent"); return err },
		"node":      func() error { _, err := c.GetNode(testCtx(t), "absent"); return err },
	} {
		if err := get(); !errors.Is(err, datastore.ErrNotFound) {
			t.Errorf("GET of a missing %s: %v, want ErrNotFound", name, err)
		}
	}
}

// TestPatchPodStatusIntegration: the annotations patch, and the
// resourceVersion and uid in it acting as preconditions.
func TestPatchPodStatusIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	uid := srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "p1", Node: "node1"})
	c := cniClient(t, srv)
	before, err := c.GetPod(testCtx(t), "default", "p1")
	if err != nil {
		t.Fatal(err)
	}
	ann := func(v string) map[string]any {
		return map[string]any{"cni.projectcalico.org/podIP": v}
	}
	for _, tc := range []struct {
		name string
		meta map[string]any
		want error
	}{
		{"stale resourceVersion", map[string]any{"annotations": ann("10.0.0.1/32"), "resourceVersion": "1"}, datastore.ErrConflict},
		{"other uid", map[string]any{"annotations": ann("10.0.0.1/32"), "uid": "00000000-0000-0000-0000-000000000000"}, datastore.ErrConflict},
		{"current resourceVersion and uid", map[string]any{"annotations": ann("10.0.0.1/32"),
			"resourceVersion": before.Metadata.ResourceVersion, "uid": uid}, nil},
		{"unconditional", map[string]any{"annotations": ann("10.0.0.2/32")}, nil},
	} {
		p, err := c.PatchPodStatus(testCtx(t), "default", "p1", map[string]any{"metadata": tc.meta})
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
			continue
		}
		if err == nil && p.Metadata.Annotations["cni.projectcalico.org/podIP"] != tc.meta["annotations"].(map[string]any)["cni.projectcalico.org/podIP"] {
			t.Errorf("%s: annotations after the patch: %v", tc.name, p.Metadata.Annotations)
		}
	}
	_, err = c.PatchPodStatus(testCtx(t), "default", "absent", map[string]any{"metadata": map[string]any{"annotations": ann("")}})
	if !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("patch of a missing pod: %v, want ErrNotFound", err)
	}
}
