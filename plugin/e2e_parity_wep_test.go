//go:build !windows

package plugin_test

// Issue 10 item 9: the WorkloadEndpoint of a Kubernetes pod on etcd, byte
// for byte as Calico writes it: ports of init containers too, hostPort and
// hostIP always, generateName, allowSpoofedSourcePrefixes from the
// validated annotation.

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/calico-win/cni/internal/kastest"
)

// putRawPod creates a pod from a full manifest, as the admin.
func putRawPod(t *testing.T, kas *kastest.Server, name string, annotations map[string]string) {
	t.Helper()
	kas.DeletePod(t, "default", name)
	kas.Admin(t, http.MethodPost, "/api/v1/namespaces/default/pods", map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "generateName": "web-", "labels": map[string]string{"app": "web"}, "annotations": annotations},
		"spec": map[string]any{
			"nodeName": node, "serviceAccountName": "web-sa",
			"initContainers": []any{map[string]any{"name": "proxy", "image": "registry.k8s.io/pause:3.10", "restartPolicy": "Always",
				"ports": []any{map[string]any{"name": "proxy-admin", "containerPort": 15000}}}},
			"containers": []any{map[string]any{"name": "c", "image": "registry.k8s.io/pause:3.10", "ports": []any{
				map[string]any{"name": "http", "containerPort": 80},
				map[string]any{"containerPort": 53, "hostPort": 5353, "hostIP": "10.0.0.4", "protocol": "UDP"},
				map[string]any{"containerPort": 81}, // neither named nor a host port: not listed
			}}},
		},
	})
}

func TestWEPContentAsCalicoIntegration(t *testing.T) {
	h := newHarness(t)
	kas := kastest.Shared(t)
	h.conf["kubernetes"] = map[string]any{"kubeconfig": kas.CNIKubeconfig(t)}
	h.conf["policy"] = map[string]any{"type": "k8s"}
	putRawPod(t, kas, "web-0", map[string]string{"cni.projectcalico.org/allowedSourcePrefixes": `["10.9.0.0/16", "192.168.1.7/24"]`})
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	raw, ok := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/workloadendpoints/default/win--1-k8s-web--0-eth0")
	if !ok {
		t.Fatal("no WorkloadEndpoint")
	}
	got := regexp.MustCompile(`"uid":"[^"]+","creationTimestamp":"[^"]+"`).ReplaceAllString(raw, `"uid":"U","creationTimestamp":"T"`)
	want := `{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3",` +
		`"metadata":{"name":"win--1-k8s-web--0-eth0","generateName":"web-","namespace":"default","uid":"U","creationTimestamp":"T",` +
		`"labels":{"app":"web","projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"k8s","projectcalico.org/serviceaccount":"web-sa"}},` +
		`"spec":{"orchestrator":"k8s","node":"win-1","containerID":"cid-web-0","pod":"web-0","endpoint":"eth0","serviceAccountName":"web-sa",` +
		`"ipNetworks":["10.244.5.3/32"],"profiles":["kns.default","ksa.default.web-sa"],"interfaceName":"cali0d7763386da","mac":"0e:2a:0a:f4:05:03",` +
		`"ports":[{"name":"http","protocol":"TCP","port":80,"hostPort":0,"hostIP":""},` +
		`{"name":"","protocol":"UDP","port":53,"hostPort":5353,"hostIP":"10.0.0.4"},` +
		`{"name":"proxy-admin","protocol":"TCP","port":15000,"hostPort":0,"hostIP":""}],` +
		`"allowSpoofedSourcePrefixes":["10.9.0.0/16","192.168.1.0/24"]}}`
	if got != want {
		t.Errorf("WorkloadEndpoint\n got %s\nwant %s", got, want)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// A bad allowedSourcePrefixes annotation fails the ADD with a clear error
// and leaves nothing behind, on both datastores.
func TestAllowedSourcePrefixesInvalidIntegration(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) *harness{"etcd": newHarness, "kdd": newKDDHarness} {
		t.Run(name, func(t *testing.T) {
			h := mk(t)
			kas := h.kas
			if kas == nil {
				kas = kastest.Shared(t)
				h.conf["kubernetes"] = map[string]any{"kubeconfig": kas.CNIKubeconfig(t)}
				h.conf["policy"] = map[string]any{"type": "k8s"}
			}
			for _, bad := range []string{`10.9.0.0/16`, `["10.9.0.0/16", "10.9.0.0/33"]`, `["nonsense"]`} {
				putRawPod(t, kas, "web-0", map[string]string{"cni.projectcalico.org/allowedSourcePrefixes": bad})
				_, err := h.add(pod("web-0", h.namespace()))
				if cniCode(err) != 7 || !contains(err, "allowedSourcePrefixes") {
					t.Fatalf("annotation %s: %v, want code 7 naming the annotation", bad, err)
				}
			}
			h.leakCheck()
		})
	}
}
