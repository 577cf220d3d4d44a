//go:build !windows

package plugin_test

// Issue 10 item 11: policy.type k8s needs the Kubernetes API; a Kubernetes
// pod with no policy type gets the network's profile, as Calico creates it.

import (
	"strings"
	"testing"
)

func TestPolicyK8sWithoutAPIIntegration(t *testing.T) {
	h := newHarness(t)
	h.conf["policy"] = map[string]any{"type": "k8s"}
	_, err := h.add(pod("web-0", h.namespace()))
	if cniCode(err) != 7 || !contains(err, "policy.type") || !contains(err, "no configuration has been provided") {
		t.Fatalf("ADD with policy k8s and no Kubernetes API: %v, want code 7 naming policy.type", err)
	}
	h.leakCheck()
	if kvs := h.etcd.List(t, "/calico/resources/v3/projectcalico.org/workloadendpoints/"); len(kvs) != 0 {
		t.Fatalf("an endpoint was written: %v", kvs)
	}
}

// A Kubernetes pod on etcd with no policy type: the WorkloadEndpoint names
// the profile <name>, and the profile exists, as Calico creates it for
// Kubernetes pods (ingress allowed from anywhere).
func TestKubernetesPodDefaultProfileIntegration(t *testing.T) {
	h := newHarness(t)
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	raw, ok := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/profiles/Calico")
	if !ok {
		t.Fatal("the WorkloadEndpoint's profile Calico does not exist")
	}
	if !strings.HasPrefix(raw, `{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"Calico","uid":"`) ||
		!strings.HasSuffix(raw, `"spec":{"ingress":[{"action":"Allow"}],"egress":[{"action":"Allow"}],"labelsToApply":{"Calico":""}}}`) {
		t.Fatalf("profile = %s", raw)
	}
	wep, _ := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/workloadendpoints/default/win--1-k8s-web--0-eth0")
	if !strings.Contains(wep, `"profiles":["Calico"]`) {
		t.Fatalf("WorkloadEndpoint = %s", wep)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}
