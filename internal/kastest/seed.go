package kastest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
)

// Seeding as an administrator, calicoctl and calico-node write the objects
// the CNI plugin only reads. Each Put creates the object or replaces it.

// CalicoGroup is the API group of Calico's CRDs on the Kubernetes datastore
// by default (CRDsV1); Server.CalicoAPIVersion is the one of a server.
const CalicoGroup = "crd.projectcalico.org/v1"

// calicoKinds are the (v1) plural names of the Calico objects Wipe deletes.
var calicoKinds = []string{"ipamblocks", "blockaffinities", "ipamhandles", "ippools", "ipamconfigs",
	"clusterinformations", "ipreservations"}

// CalicoPath is the API path of a Calico custom resource in
// crd.projectcalico.org/v1 (name "" for the collection); Server.CalicoPath
// is the one in the group of a server's CRD set.
func CalicoPath(plural, name string) string { return groupV1.path(plural, name) }

func (s *Server) putCalico(t testing.TB, kind, plural, name string, labels map[string]string, spec any) {
	t.Helper()
	s.put(t, s.CalicoPath(plural, ""), name, map[string]any{
		"apiVersion": s.CalicoAPIVersion(), "kind": kind,
		"metadata": map[string]any{"name": name, "labels": labels}, "spec": spec,
	})
}

// PutIPPool stores an IPPool as calicoctl does on the Kubernetes datastore.
func (s *Server) PutIPPool(t testing.TB, p datastore.IPPool) {
	t.Helper()
	spec := map[string]any{"cidr": p.CIDR.String(), "natOutgoing": p.NATOutgoing, "disabled": p.Disabled}
	set := func(k, v string) {
		if v != "" {
			spec[k] = v
		}
	}
	set("vxlanMode", p.VXLANMode)
	set("nodeSelector", p.NodeSelector)
	set("namespaceSelector", p.NamespaceSelector)
	set("assignmentMode", p.AssignmentMode)
	if p.BlockSize != 0 {
		spec["blockSize"] = p.BlockSize
	}
	if len(p.AllowedUses) > 0 {
		spec["allowedUses"] = p.AllowedUses
	}
	s.putCalico(t, "IPPool", "ippools", p.Name, nil, spec)
}

// PutIPReservation stores an IPReservation of these CIDRs or addresses.
func (s *Server) PutIPReservation(t testing.TB, name string, cidrs []string) {
	t.Helper()
	s.putCalico(t, "IPReservation", "ipreservations", name, nil, map[string]any{"reservedCIDRs": cidrs})
}

// PutIPAMConfig stores IPAMConfig "default" (calicoctl ipam configure); on
// v3 it is IPAMConfiguration "default".
func (s *Server) PutIPAMConfig(t testing.TB, strictAffinity, autoAllocateBlocks bool, maxBlocksPerHost int) {
	t.Helper()
	spec := map[string]any{"strictAffinity": strictAffinity, "autoAllocateBlocks": autoAllocateBlocks}
	if maxBlocksPerHost != 0 {
		spec["maxBlocksPerHost"] = maxBlocksPerHost
	}
	g := s.crds.seedGroup()
	s.putCalico(t, g.ipamConfigKind, g.ipamConfigPlural, "default", nil, spec)
}

// PutClusterInformation stores ClusterInformation "default" as calico-node
// does; a nil ready leaves datastoreReady out.
func (s *Server) PutClusterInformation(t testing.TB, ready *bool) {
	t.Helper()
	spec := map[string]any{"calicoVersion": "v3.31.0", "clusterGUID": "0123456789abcdef0123456789abcdef", "clusterType": "k8s,kdd"}
	if ready != nil {
		spec["datastoreReady"] = *ready
	}
	s.putCalico(t, "ClusterInformation", "clusterinformations", "default", nil, spec)
}

// PutNode stores a Kubernetes Node (what the kubelet registers).
func (s *Server) PutNode(t testing.TB, name string, labels map[string]string, podCIDRs ...string) {
	t.Helper()
	spec := map[string]any{}
	if len(podCIDRs) > 0 {
		spec["podCIDR"], spec["podCIDRs"] = podCIDRs[0], podCIDRs
	}
	s.put(t, "/api/v1/nodes", name, map[string]any{
		"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": name, "labels": labels}, "spec": spec,
	})
}

// PutNamespace stores a namespace. Namespaces are never deleted: without a
// namespace controller they would stay Terminating.
func (s *Server) PutNamespace(t testing.TB, name string, labels, annotations map[string]string) {
	t.Helper()
	s.put(t, "/api/v1/namespaces", name, map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name, "labels": labels, "annotations": annotations},
	})
}

// Pod describes a pod for PutPod.
type Pod struct {
	Namespace, Name     string
	Node                string // spec.nodeName ("" leaves it unscheduled)
	ServiceAccount      string
	Labels, Annotations map[string]string
	Ports               []Port
}

// Port is a container port of a Pod.
type Port struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
}

// PutPod creates the pod, first deleting (at once) any pod of that name,
// and returns its UID.
func (s *Server) PutPod(t testing.TB, p Pod) string {
	t.Helper()
	path := "/api/v1/namespaces/" + url.PathEscape(p.Namespace) + "/pods"
	s.DeletePod(t, p.Namespace, p.Name)
	spec := map[string]any{"containers": []any{map[string]any{"name": "c", "image": "registry.k8s.io/pause:3.10", "ports": p.Ports}}}
	if p.Node != "" {
		spec["nodeName"] = p.Node
	}
	if p.ServiceAccount != "" {
		spec["serviceAccountName"] = p.ServiceAccount
	}
	body := s.Admin(t, http.MethodPost, path, map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": p.Name, "labels": p.Labels, "annotations": p.Annotations}, "spec": spec,
	})
	var created struct {
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	return created.Metadata.UID
}

// DeletePod deletes a pod at once (no kubelet here to confirm a graceful
// delete) and waits until it is gone. A missing pod is fine.
func (s *Server) DeletePod(t testing.TB, namespace, name string) {
	t.Helper()
	path := "/api/v1/namespaces/" + url.PathEscape(namespace) + "/pods/" + url.PathEscape(name)
	s.Admin(t, http.MethodDelete, path, map[string]any{"gracePeriodSeconds": 0}, http.StatusOK, http.StatusNotFound)
	err := poll(10*time.Second, 20*time.Millisecond, func() (bool, error) {
		code, _, err := s.do(http.MethodGet, path, nil, "")
		return code == http.StatusNotFound, err
	})
	if err != nil {
		t.Fatalf("pod %s/%s not gone: %v", namespace, name, err)
	}
}

// Object reads an object as the administrator and decodes it into out.
func (s *Server) Object(t testing.TB, path string, out any) {
	t.Helper()
	if err := json.Unmarshal(s.Admin(t, http.MethodGet, path, nil), out); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
}

// Exists tells whether the object at path exists.
func (s *Server) Exists(t testing.TB, path string) bool {
	t.Helper()
	code, body, err := s.do(http.MethodGet, path, nil, "")
	if err != nil || (code != http.StatusOK && code != http.StatusNotFound) {
		t.Fatalf("GET %s: %d %s %v", path, code, body, err)
	}
	return code == http.StatusOK
}

// Wipe deletes every Calico IPAM object, node and pod, so a test starts
// from an empty datastore.
func (s *Server) Wipe(t testing.TB) {
	t.Helper()
	var paths []string
	for _, g := range s.crds.groups() {
		for _, k := range calicoKinds {
			paths = append(paths, g.path(g.plural(k), ""))
		}
	}
	paths = append(paths, "/api/v1/nodes")
	var nss struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"items"`
	}
	s.Object(t, "/api/v1/namespaces", &nss)
	for _, ns := range nss.Items {
		paths = append(paths, "/api/v1/namespaces/"+ns.Metadata.Name+"/pods")
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(paths))
	for _, p := range paths {
		wg.Go(func() {
			code, body, err := s.do(http.MethodDelete, p, map[string]any{"gracePeriodSeconds": 0}, "")
			if err != nil || code != http.StatusOK {
				errs <- p + ": " + string(body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("wiping %s", e)
	}
}
