//go:build !windows

package plugin_test

// Issue 10 item 8: after a VXLAN ADD the Calico Node holds the VXLAN
// tunnel (the block's first address, the HNS network's DR MAC), written
// only when it differs; where the role may not write the Node, the ADD
// goes on.

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/calico-win/cni/internal/kastest"
)

// drMAC is the DR MAC the node's HNS network reports, in Calico's form.
func (h *harness) drMAC() string {
	h.t.Helper()
	n, err := h.sim.GetNetworkByName(context.Background(), "Calico")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, p := range n.Policies {
		if p.Type == "DrMacAddress" {
			var s struct{ Address string }
			json.Unmarshal(p.Settings, &s)
			mac, err := net.ParseMAC(s.Address)
			if err != nil {
				h.t.Fatal(err)
			}
			return mac.String()
		}
	}
	h.t.Fatal("the HNS network reports no DR MAC")
	return ""
}

func TestVXLANTunnelOnEtcdIntegration(t *testing.T) {
	h := newHarness(t)
	key := "/calico/resources/v3/projectcalico.org/nodes/" + node
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	raw, _ := h.etcd.Get(t, key)
	if want := `"ipv4VXLANTunnelAddr":"10.244.5.1"`; !strings.Contains(raw, want) {
		t.Fatalf("Node lacks %s: %s", want, raw)
	}
	if want := `"vxlanTunnelMACAddr":"` + h.drMAC() + `"`; !strings.Contains(raw, want) {
		t.Fatalf("Node lacks %s: %s", want, raw)
	}
	before := h.etcd.List(t, key)[0].ModRevision
	rt2 := pod("web-1", h.namespace())
	h.mustAdd(rt2)
	if after := h.etcd.List(t, key)[0].ModRevision; after != before {
		t.Fatalf("a second ADD rewrote the Node (mod_revision %v -> %v)", before, after)
	}
	for _, r := range []string{"web-0", "web-1"} {
		if err := h.del(pod(r, "")); err != nil {
			t.Fatal(err)
		}
	}
	h.leakCheck()
}

func TestVXLANTunnelOnKDDIntegration(t *testing.T) {
	h := newKDDHarness(t)
	nodeAnnotations := func() (map[string]string, string) {
		var n struct {
			Metadata struct {
				Annotations     map[string]string
				ResourceVersion string
			} `json:"metadata"`
		}
		h.kas.Object(t, "/api/v1/nodes/"+node, &n)
		return n.Metadata.Annotations, n.Metadata.ResourceVersion
	}
	// Calico's calico-cni-plugin role may not write the Node: the ADD goes on.
	rt := h.kubePod("web-0", nil)
	h.mustAdd(rt)
	if a, _ := nodeAnnotations(); a["projectcalico.org/IPv4VXLANTunnelAddr"] != "" {
		t.Fatalf("the CNI role wrote the Node: %v", a)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	// With a role that may patch nodes, the tunnel is written once.
	rules := append(kastest.CNIRules(), kastest.Rule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"patch"}})
	h.conf["kubernetes"] = map[string]any{"kubeconfig": h.kas.Kubeconfig(t, "cni-node-writer", rules)}
	h.conf["ipam_lock_file"] = t.TempDir() + "/ipam.lock" // a fresh node cache
	rt = h.kubePod("web-1", nil)
	h.mustAdd(rt)
	a, rv := nodeAnnotations()
	if a["projectcalico.org/IPv4VXLANTunnelAddr"] != "10.244.5.1" || a["projectcalico.org/VXLANTunnelMACAddr"] != h.drMAC() {
		t.Fatalf("Node annotations %v, want the tunnel 10.244.5.1 %s", a, h.drMAC())
	}
	rt2 := h.kubePod("web-2", nil)
	h.mustAdd(rt2)
	if _, rv2 := nodeAnnotations(); rv2 != rv {
		t.Fatalf("a second ADD wrote the Node (resourceVersion %s -> %s)", rv, rv2)
	}
	for _, r := range []string{"web-1", "web-2"} {
		if err := h.del(pod(r, "")); err != nil {
			t.Fatal(err)
		}
	}
	h.leakCheck()
}
