//go:build !windows

package plugin_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// apiCount sums the API server's apiserver_request_total lines that contain
// every one of labels.
func apiCount(t testing.TB, h *harness, labels ...string) float64 {
	t.Helper()
	var n float64
	sc := bufio.NewScanner(bytes.NewReader(h.kas.Admin(t, http.MethodGet, "/metrics", nil)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
lines:
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "apiserver_request_total{") {
			continue
		}
		for _, lb := range labels {
			if !strings.Contains(l, lb) {
				continue lines
			}
		}
		var v float64
		fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v)
		n += v
	}
	return n
}

// TestKDDAddReadsPodOnceIntegration: a steady-state ADD on the Kubernetes
// datastore reads the pod once (the endpoint read of its first datastore
// read serves the pod's labels, service account and pool annotations too;
// it was read twice), and still gets them right.
func TestKDDAddReadsPodOnceIntegration(t *testing.T) {
	h := newKDDHarness(t)
	warm := h.kubePod("warm-0", nil)
	h.mustAdd(warm) // discovery, the cluster cache and the block hint
	if err := h.del(warm); err != nil {
		t.Fatal(err)
	}
	rt := h.kubePod("web-0", map[string]string{"app": "web"})
	get := func() float64 {
		return apiCount(t, h, `verb="GET"`, `resource="pods"`, `subresource=""`, `scope="resource"`)
	}
	before := get()
	r := h.mustAdd(rt)
	if got := get() - before; got != 1 {
		t.Errorf("ADD read the pod %v times, want 1", got)
	}
	if len(r.IPs) != 1 {
		t.Fatalf("ADD result %+v, want one address", r)
	}
	if a := h.annotations("web-0"); a["cni.projectcalico.org/podIP"] != r.IPs[0].Address.IP.String()+"/32" {
		t.Errorf("pod annotations %v, want podIP %s/32", a, r.IPs[0].Address.IP)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// TestKDDRequestsPerCallIntegration: in steady state (the node's caches
// warm, its block copied), an ADD costs the API server 5 requests (the pod
// and its namespace, the handle, the block, the pod's annotations) and a
// DEL 5 (ClusterInformation and the handle, the pod's annotations, the
// block, the handle's delete), as the server's own metrics count them.
func TestKDDRequestsPerCallIntegration(t *testing.T) {
	h := newKDDHarness(t)
	all := func() float64 { return apiCount(t, h, `resource="`) }
	for i := range 4 {
		rt := h.kubePod(fmt.Sprint("web-", i), nil)
		before := all()
		h.mustAdd(rt)
		add := all() - before
		before = all()
		if err := h.del(rt); err != nil {
			t.Fatal(err)
		}
		del := all() - before
		t.Logf("pod %d: ADD %v requests, DEL %v", i, add, del)
		if i > 0 && (add > 5 || del > 5) { // the first warms the caches
			t.Errorf("pod %d: ADD %v requests, DEL %v; want at most 5 each", i, add, del)
		}
	}
	h.kddLeakCheck()
	h.leakCheck()
}
