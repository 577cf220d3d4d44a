//go:build !windows

package plugin_test

// The plugin's lifecycle on the Kubernetes datastore: a real kube-apiserver
// with Calico's CRDs, the plugin running as the restricted calico-cni-plugin
// identity (not admin), the WorkloadEndpoint being the pod's annotations.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/kastest"
)

func newKDDHarness(t testing.TB) *harness {
	t.Helper()
	return newKDDHarnessIn(t, kastest.CRDsV1)
}

// newKDDHarnessIn is a harness on the shared server with the CRD set crds.
// calico_api_group is left unset: the plugin discovers the group, as Calico
// does, and keeps it on the node.
func newKDDHarnessIn(t testing.TB, crds kastest.CRDSet) *harness {
	t.Helper()
	h := &harness{t: t, kas: kastest.SharedWith(t, crds), block: netip.MustParsePrefix("10.244.5.0/26")}
	h.kas.PutIPPool(t, datastore.IPPool{Name: "pool1", CIDR: h.block, BlockSize: 26, NATOutgoing: true})
	h.kas.PutIPAMConfig(t, true, true, 0)
	ready := true
	h.kas.PutClusterInformation(t, &ready)
	h.kas.PutNode(t, node, map[string]string{"kubernetes.io/os": "windows"})
	h.setup(t)
	h.conf["datastore_type"] = "kubernetes"
	h.conf["kubernetes"] = map[string]any{"kubeconfig": h.kas.CNIKubeconfig(t)}
	return h
}

// kubePod creates the pod the runtime is setting up.
func (h *harness) kubePod(name string, labels map[string]string) *libcni.RuntimeConf {
	h.t.Helper()
	h.kas.PutPod(h.t, kastest.Pod{Namespace: "default", Name: name, Node: node, ServiceAccount: "default", Labels: labels})
	return pod(name, h.namespace())
}

// annotations returns the pod's Calico annotations.
func (h *harness) annotations(name string) map[string]string {
	var p struct {
		Metadata struct{ Annotations map[string]string } `json:"metadata"`
	}
	h.kas.Object(h.t, "/api/v1/namespaces/default/pods/"+name, &p)
	return p.Metadata.Annotations
}

func (h *harness) calicoList(plural string) []map[string]any {
	var l struct{ Items []map[string]any }
	h.kas.Object(h.t, h.kas.CalicoPath(plural, ""), &l)
	return l.Items
}

// kddGroups runs a KDD lifecycle test on a cluster with Calico's v1 CRDs
// and on one with its v3 CRDs.
func kddGroups(t *testing.T, test func(t *testing.T, crds kastest.CRDSet)) {
	for _, crds := range []kastest.CRDSet{kastest.CRDsV1, kastest.CRDsV3} {
		t.Run(crds.String(), func(t *testing.T) { test(t, crds) })
	}
}

// kddLeakCheck: no IPAM handles, no allocations beside the reservations,
// no pod with a podIP annotation.
func (h *harness) kddLeakCheck() {
	h.t.Helper()
	for _, l := range h.kddLeaks() {
		h.t.Error(l)
	}
}

// kddLeaks names what the Kubernetes datastore holds that no pod should
// any more: IPAM handles, allocations besides the Windows reservations,
// podIP annotations.
func (h *harness) kddLeaks() []string {
	h.t.Helper()
	var leaks []string
	for _, o := range h.calicoList("ipamhandles") {
		leaks = append(leaks, fmt.Sprintf("leaked IPAMHandle %v", o["metadata"].(map[string]any)["name"]))
	}
	for _, o := range h.calicoList("ipamblocks") {
		b, _ := json.Marshal(o["spec"])
		if n := strings.Count(string(b), `"handle_id"`); n > 1 {
			leaks = append(leaks, fmt.Sprintf("leaked allocation in %s", b))
		}
	}
	var pods struct {
		Items []struct {
			Metadata struct {
				Name        string
				Annotations map[string]string
			} `json:"metadata"`
		}
	}
	h.kas.Object(h.t, "/api/v1/namespaces/default/pods", &pods)
	for _, p := range pods.Items {
		if ip := p.Metadata.Annotations["cni.projectcalico.org/podIP"]; ip != "" {
			leaks = append(leaks, fmt.Sprintf("pod %s still has podIP %s", p.Metadata.Name, ip))
		}
	}
	return leaks
}

func TestKDDAddCheckDelIntegration(t *testing.T) { kddGroups(t, testKDDAddCheckDel) }

func testKDDAddCheckDel(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	rt := h.kubePod("web-0", map[string]string{"app": "web"})
	res := h.mustAdd(rt)
	if res.IPs[0].Address.String() != "10.244.5.3/26" {
		t.Fatalf("IPs = %v", res.IPs)
	}
	a := h.annotations("web-0")
	if a["cni.projectcalico.org/podIP"] != "10.244.5.3/32" || a["cni.projectcalico.org/podIPs"] != "10.244.5.3/32" ||
		a["cni.projectcalico.org/containerID"] != rt.ContainerID {
		t.Fatalf("pod annotations = %v", a)
	}
	// Calico's objects, as Calico names and shapes them.
	var blk struct {
		Spec struct {
			Affinity    string
			Allocations []*int
			Attributes  []map[string]any
		}
	}
	h.kas.Object(t, h.kas.CalicoPath("ipamblocks", "10-244-5-0-26"), &blk)
	if blk.Spec.Affinity != "host:"+node || len(blk.Spec.Allocations) != 64 || *blk.Spec.Allocations[3] != 1 ||
		blk.Spec.Attributes[0]["handle_id"] != "windows-reserved-ipam-handle" {
		t.Fatalf("IPAMBlock = %+v", blk.Spec)
	}
	var handle struct{ Spec map[string]any }
	h.kas.Object(t, h.kas.CalicoPath("ipamhandles", "calico.cid-web-0"), &handle)
	if handle.Spec["handleID"] != "Calico.cid-web-0" {
		t.Fatalf("IPAMHandle = %+v", handle.Spec)
	}
	var aff struct {
		Metadata struct{ Labels map[string]string }
		Spec     map[string]any
	}
	h.kas.Object(t, h.kas.CalicoPath("blockaffinities", node+"-10-244-5-0-26"), &aff)
	var notDeleted any = "false" // v1's string; v3 has a boolean
	if crds == kastest.CRDsV3 {
		notDeleted = false
	}
	if aff.Spec["state"] != "confirmed" || aff.Spec["deleted"] != notDeleted || aff.Metadata.Labels["projectcalico.org/hostname-hash"] == "" {
		t.Fatalf("BlockAffinity = %+v", aff)
	}

	if err := h.cni.CheckNetworkList(ctx(t), h.list("1.1.0"), rt); err != nil {
		t.Fatalf("CHECK: %v", err)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	a = h.annotations("web-0")
	if a["cni.projectcalico.org/podIP"] != "" || a["cni.projectcalico.org/containerID"] != rt.ContainerID {
		t.Fatalf("after DEL, annotations = %v (podIP cleared, containerID kept)", a)
	}
	if err := h.del(rt); err != nil {
		t.Fatalf("second DEL: %v", err)
	}
	h.leakCheck()
}

// Pod deleted from the API before the runtime's DEL: the DEL still cleans up.
func TestKDDDelAfterPodDeletedIntegration(t *testing.T) { kddGroups(t, testKDDDelAfterPodDeleted) }

func testKDDDelAfterPodDeleted(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	rt := h.kubePod("web-0", nil)
	h.mustAdd(rt)
	h.kas.DeletePod(t, "default", "web-0")
	if err := h.del(rt); err != nil {
		t.Fatalf("DEL after the pod is gone: %v", err)
	}
	h.leakCheck()
}

// The DEL of an old sandbox keeps the new sandbox's annotations.
func TestKDDOldSandboxDelIntegration(t *testing.T) { kddGroups(t, testKDDOldSandboxDel) }

func testKDDOldSandboxDel(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	old := h.kubePod("web-0", nil)
	h.mustAdd(old)
	newer := pod("web-0", h.namespace())
	newer.ContainerID = "cid-web-0-new"
	// The old sandbox's DEL has not come yet: a new ADD for the pod replaces the annotations.
	if _, err := h.add(newer); err != nil {
		t.Fatal(err)
	}
	if err := h.del(old); err != nil {
		t.Fatal(err)
	}
	a := h.annotations("web-0")
	if a["cni.projectcalico.org/containerID"] != "cid-web-0-new" || a["cni.projectcalico.org/podIP"] == "" {
		t.Fatalf("the old sandbox's DEL touched the new one: %v", a)
	}
	if err := h.del(newer); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

func TestKDDConcurrentAddsIntegration(t *testing.T) { kddGroups(t, testKDDConcurrentAdds) }

func testKDDConcurrentAdds(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	rts := make([]*libcni.RuntimeConf, 20)
	for i := range rts {
		rts[i] = h.kubePod(fmt.Sprintf("p%02d", i), nil)
	}
	h.addAll(rts)
	h.delAll(rts)
	h.kddLeakCheck() // no handle created ahead (ipam/ahead.go) is left
	h.leakCheck()
}

// An HNS failure after IPAM: nothing is left in the CRDs or on the pod.
func TestKDDFaultLeavesNothingIntegration(t *testing.T) { kddGroups(t, testKDDFaultLeavesNothing) }

func testKDDFaultLeavesNothing(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	rt := h.kubePod("web-0", nil)
	if err := h.sim.InjectFault(context.Background(), "AttachEndpoint", hns.NamespaceAttachFailed, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := h.add(rt); cniCode(err) != 104 {
		t.Fatalf("ADD: %v, want code 104", err)
	}
	h.leakCheck()
}

// A token the API server refuses, and an identity missing a permission of
// the calico-cni-plugin role: clear errors, nothing left behind.
func TestKDDAccessErrorsIntegration(t *testing.T) { kddGroups(t, testKDDAccessErrors) }

func testKDDAccessErrors(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	rt := h.kubePod("web-0", nil)
	h.conf["kubernetes"] = map[string]any{"kubeconfig": h.kas.WriteKubeconfig(t, "stale", "expired-token")}
	_, err := h.add(rt)
	if cniCode(err) != 101 || !strings.Contains(strings.ToLower(err.Error()), "token") {
		t.Fatalf("ADD with a refused token: %v, want code 101 about the token", err)
	}
	var rules []kastest.Rule
	for _, r := range kastest.CNIRules() {
		if !(len(r.Resources) == 1 && r.Resources[0] == "pods/status") {
			rules = append(rules, r)
		}
	}
	h.conf["kubernetes"] = map[string]any{"kubeconfig": h.kas.Kubeconfig(t, "no-patch", rules)}
	_, err = h.add(rt)
	if cniCode(err) != 101 || !strings.Contains(err.Error(), "pods/status") {
		t.Fatalf("ADD without patch on pods/status: %v, want code 101 naming it", err)
	}
	h.leakCheck()
}

// Pool annotations on the namespace pick the pool (Calico's ipv4pools).
func TestKDDPoolAnnotationIntegration(t *testing.T) { kddGroups(t, testKDDPoolAnnotation) }

func testKDDPoolAnnotation(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	other := netip.MustParsePrefix("10.250.0.0/26")
	h.kas.PutIPPool(t, datastore.IPPool{Name: "pool2", CIDR: other, BlockSize: 26})
	h.kas.PutNamespace(t, "default", nil, map[string]string{"cni.projectcalico.org/ipv4pools": `["pool2"]`})
	rt := h.kubePod("web-0", nil)
	h.conf["windows_use_single_network"] = false // a second network for the other pool's block
	h.sim.UpdateConfig(context.Background(), func(c *sim.Config) { c.HostAddress = "10.0.0.4" })
	res := h.mustAdd(rt)
	addr, _ := netip.AddrFromSlice(res.IPs[0].Address.IP.To4())
	if !other.Contains(addr) {
		t.Fatalf("got %s, want an address of pool2 (%s)", addr, other)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.kas.PutNamespace(t, "default", nil, nil)
	h.leakCheck()
}

// Calico data in etcd, the pod from the Kubernetes API: the WorkloadEndpoint
// carries the pod's labels, service account (profile ksa.<ns>.<sa>) and
// named ports (Calico FV case 2).
func TestEtcdWithKubernetesPodIntegration(t *testing.T) {
	h := newHarness(t)
	kas := kastest.Shared(t)
	kas.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: node, ServiceAccount: "web-sa",
		Labels: map[string]string{"app": "web"}, Ports: []kastest.Port{{Name: "anamedport", ContainerPort: 555}}})
	h.conf["kubernetes"] = map[string]any{"kubeconfig": kas.CNIKubeconfig(t)}
	h.conf["policy"] = map[string]any{"type": "k8s"}
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	raw, ok := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/workloadendpoints/default/win--1-k8s-web--0-eth0")
	if !ok {
		t.Fatal("no WorkloadEndpoint")
	}
	for _, want := range []string{`"app":"web"`, `"projectcalico.org/serviceaccount":"web-sa"`, `"serviceAccountName":"web-sa"`,
		`"profiles":["kns.default","ksa.default.web-sa"]`, `"ports":[{"name":"anamedport","protocol":"TCP","port":555,"hostPort":0,"hostIP":""}]`} {
		if !strings.Contains(raw, want) {
			t.Errorf("WorkloadEndpoint lacks %s:\n%s", want, raw)
		}
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// GC and STATUS on the Kubernetes datastore.
func TestKDDGCAndStatusIntegration(t *testing.T) { kddGroups(t, testKDDGCAndStatus) }

func testKDDGCAndStatus(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	keep, stale := h.kubePod("keep", nil), h.kubePod("stale", nil)
	h.mustAdd(keep)
	h.mustAdd(stale)
	if err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0")); err != nil {
		t.Fatalf("STATUS: %v", err)
	}
	err := h.cni.GCNetworkList(ctx(t), h.list("1.1.0"), &libcni.GCArgs{ValidAttachments: []types.GCAttachment{{ContainerID: keep.ContainerID, IfName: "eth0"}}})
	if err != nil {
		t.Fatal(err)
	}
	handles := h.calicoList("ipamhandles")
	if len(handles) != 1 || handles[0]["spec"].(map[string]any)["handleID"] != "Calico.cid-keep" {
		t.Fatalf("after GC: %v", handles)
	}
	if _, err := h.sim.GetEndpointByName(context.Background(), "cid-stale_Calico"); !hns.IsNotFound(err) {
		t.Fatalf("stale endpoint: %v", err)
	}
	h.kas.PutClusterInformation(t, nil)
	if err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0")); cniCode(err) != 50 {
		t.Fatalf("STATUS without datastoreReady: %v, want 50", err)
	}
}

// calico_api_group: unset, the plugin discovers the group once and keeps it
// on the node; a kept group the cluster no longer serves (Calico migrated to
// the other group) is discovered again within the same call; set, it is
// used as it is, and a wrong one fails with an error naming it, leaving
// nothing behind.
func TestKDDAPIGroupIntegration(t *testing.T) { kddGroups(t, testKDDAPIGroup) }

func testKDDAPIGroup(t *testing.T, crds kastest.CRDSet) {
	h := newKDDHarnessIn(t, crds)
	want, other := h.kas.CalicoAPIVersion(), "crd.projectcalico.org/v1"
	if want == other {
		other = "projectcalico.org/v3"
	}
	kept := filepath.Join(filepath.Dir(h.conf["ipam_lock_file"].(string)), "api-group-Calico.json")
	readKept := func() (e struct{ Server, Group string }) {
		t.Helper()
		b, err := os.ReadFile(kept)
		if err != nil {
			t.Fatalf("the discovered group was not kept: %v", err)
		}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	a := h.kubePod("web-a", nil)
	h.mustAdd(a)
	e := readKept()
	if e.Group != want || e.Server == "" {
		t.Fatalf("kept %+v, want group %s", e, want)
	}
	// A kept group that is not served any more.
	e.Group = other
	b, _ := json.Marshal(e)
	if err := os.WriteFile(kept, b, 0o600); err != nil {
		t.Fatal(err)
	}
	bPod := h.kubePod("web-b", nil)
	h.mustAdd(bPod)
	if g := readKept().Group; g != want {
		t.Errorf("after the kept group stopped being served: kept %s, want %s", g, want)
	}
	// Configured.
	h.conf["calico_api_group"] = strings.ToUpper(want) // Calico compares case-insensitively
	c := h.kubePod("web-c", nil)
	h.mustAdd(c)
	h.conf["calico_api_group"] = other
	d := h.kubePod("web-d", nil)
	if _, err := h.add(d); cniCode(err) != 7 || !strings.Contains(err.Error(), "configured calico_api_group "+other) {
		t.Errorf("ADD with calico_api_group %s on a %s cluster: %v, want code 7 naming calico_api_group", other, want, err)
	}
	h.conf["calico_api_group"] = "projectcalico.org"
	if _, err := h.add(d); cniCode(err) != 7 || !strings.Contains(err.Error(), "calico_api_group") {
		t.Errorf("ADD with calico_api_group projectcalico.org: %v, want code 7 naming the key", err)
	}
	delete(h.conf, "calico_api_group")
	for _, rt := range []*libcni.RuntimeConf{a, bPod, c, d} {
		if err := h.del(rt); err != nil {
			t.Fatal(err)
		}
	}
	h.leakCheck()
}

// On the Kubernetes datastore a new pod's WorkloadEndpoint (its podIP
// annotations) is written while HNS creates the pod's endpoint, not after:
// with attaching the endpoint taking 1.5 s, the annotations are there
// well before the ADD ends. A failure then undoes both (FaultLeavesNothing).
func TestKDDEndpointWrittenAlongsideHNSIntegration(t *testing.T) {
	h := newKDDHarnessIn(t, kastest.CRDsV1)
	rt := h.kubePod("web-0", nil)
	if err := h.sim.SetLatency(context.Background(), "AttachEndpoint", 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	added := make(chan error, 1)
	go func() {
		_, err := h.add(rt)
		added <- err
	}()
	var seen time.Duration
	for seen == 0 && time.Since(start) < 10*time.Second {
		if h.annotations("web-0")["cni.projectcalico.org/podIP"] != "" {
			seen = time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if seen == 0 || took-seen < time.Second {
		t.Fatalf("podIP annotation written %s into an ADD of %s: want it while HNS attaches (over 1 s before the end)",
			seen.Round(time.Millisecond), took.Round(time.Millisecond))
	}
	if err := h.sim.SetLatency(context.Background(), "AttachEndpoint", 0); err != nil {
		t.Fatal(err)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// The node keeps the API server's address for the next call to connect to
// early (kube-server beside the IPAM lock); a kept address that is wrong
// (a server moved) costs nothing but that early connection, and is
// corrected.
func TestKDDKeepsServerAddressIntegration(t *testing.T) {
	h := newKDDHarnessIn(t, kastest.CRDsV1)
	rt := h.kubePod("web-0", nil)
	kept := filepath.Join(filepath.Dir(h.conf["ipam_lock_file"].(string)), "kube-server")
	want := strings.TrimPrefix(h.kas.URL(), "https://")
	h.mustAdd(rt)
	if b, err := os.ReadFile(kept); err != nil || string(b) != want {
		t.Fatalf("kept server address %q, %v; want %q", b, err, want)
	}
	if err := os.WriteFile(kept, []byte("127.0.0.1:1"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(kept); err != nil || string(b) != want {
		t.Fatalf("kept server address after a wrong one %q, %v; want %q", b, err, want)
	}
	h.leakCheck()
}
