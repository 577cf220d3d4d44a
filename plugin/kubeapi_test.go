//go:build !windows

package plugin

import (
	"errors"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// TestKDDWiringIntegration: openKDD, the pod reads and the node's pod CIDR
// against a real kube-apiserver, with the calico-cni-plugin identity.
func TestKDDWiringIntegration(t *testing.T) {
	srv := kastest.Start(t)
	nc := &NetConf{DatastoreType: "kubernetes", Kubernetes: KubernetesConf{Kubeconfig: srv.CNIKubeconfig(t)}}
	srv.PutNamespace(t, "team-a", map[string]string{"team": "a"}, map[string]string{annotationIPv4Pools: `["pool-ns"]`})
	srv.PutPod(t, kastest.Pod{Namespace: "team-a", Name: "web-0", Node: "win-1", ServiceAccount: "web",
		Labels: map[string]string{"app": "web"}, Annotations: map[string]string{annotationIPv4Pools: `["pool-pod", "10.244.0.0/16"]`},
		Ports: []kastest.Port{{Name: "http", ContainerPort: 80}, {ContainerPort: 81}}})
	srv.PutPod(t, kastest.Pod{Namespace: "team-a", Name: "db-0", Node: "win-1"})
	srv.PutPod(t, kastest.Pod{Namespace: "team-a", Name: "bad-0", Node: "win-1", Annotations: map[string]string{annotationIPv4Pools: `pool-a`}})
	srv.PutNode(t, "win-1", map[string]string{"kubernetes.io/os": "windows"}, "fd00:10::/64", "10.244.3.0/24")
	srv.PutNode(t, "win-2", nil)
	ctx := t.Context()

	kp, err := readKubePod(ctx, nc, "team-a", "web-0")
	var info *podInfo
	if err == nil {
		info = &kp.podInfo
	}
	wantPorts := []datastore.EndpointPort{{Name: "http", Protocol: "TCP", Port: 80}}
	if err != nil || info.Labels["app"] != "web" || info.ServiceAccount != "web" || !reflect.DeepEqual(info.Ports, wantPorts) {
		t.Errorf("readKubePod(web-0) pod info = %+v, %v", info, err)
	}
	for _, tc := range []struct {
		pod   string
		pools []string
		err   string
	}{
		{"web-0", []string{"pool-pod", "10.244.0.0/16"}, ""}, // the pod's annotation wins
		{"db-0", []string{"pool-ns"}, ""},                    // else the namespace's
		{"bad-0", nil, "failed to parse the cni.projectcalico.org/ipv4pools annotation"},
		{"absent", nil, "reading pod team-a/absent"},
	} {
		kp, err := readKubePod(ctx, nc, "team-a", tc.pod)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("readKubePod(%s): %v, want an error saying %q", tc.pod, err, tc.err)
			}
		case err != nil || !slices.Equal(kp.IPv4Pools, tc.pools) || kp.NamespaceLabels["team"] != "a" || kp.Node != "win-1":
			t.Errorf("readKubePod(%s) = %+v, %v; want pools %v", tc.pod, kp, err, tc.pools)
		}
	}
	if _, err := readKubePod(ctx, nc, "team-a", "absent"); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("readKubePod of a missing pod: %v, want ErrNotFound", err)
	}

	s, err := openKDD(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	snap, err := s.Read(ctx, datastore.Query{Node: "win-1", Config: true})
	if err != nil || snap.Node == nil || snap.Node.Labels["kubernetes.io/os"] != "windows" || snap.Config != nil {
		t.Errorf("Read through openKDD = %+v, %v", snap, err)
	}
	if c1, _ := kubeClient(nc); c1 == nil || func() bool { c2, _ := kubeClient(nc); return c1 != c2 }() {
		t.Error("the store and the pod reads do not share one client")
	}

	if p, err := nodePodCIDR(ctx, nc, "win-1"); err != nil || p != netip.MustParsePrefix("10.244.3.0/24") {
		t.Errorf("nodePodCIDR(win-1) = %v, %v", p, err)
	}
	if _, err := nodePodCIDR(ctx, nc, "win-2"); err == nil || !strings.Contains(err.Error(), "no IPv4 spec.podCIDRs") {
		t.Errorf("nodePodCIDR of a node without: %v", err)
	}

	for _, tc := range []struct {
		name string
		nc   NetConf
		key  string
	}{
		{"v3 API group", NetConf{CalicoAPIGroup: "projectcalico.org/v3", Kubernetes: nc.Kubernetes}, "calico_api_group"},
		{"kubeconfig missing", NetConf{Kubernetes: KubernetesConf{Kubeconfig: filepath.Join(t.TempDir(), "absent")}}, "kubernetes.kubeconfig"},
	} {
		_, err := openKDD(&tc.nc)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%s: openKDD error %v, want a ConfigError on %s", tc.name, err, tc.key)
		}
	}
}
