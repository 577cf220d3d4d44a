package kdd

import (
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// TestSetVXLANTunnelIntegration: with a role that may patch nodes (Calico's
// calico-node role, say), the tunnel lands in the Node's annotations as
// libcalico-go keeps it, other annotations and labels kept, and an empty
// value removes it.
func TestSetVXLANTunnelIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	rules := append(kastest.CNIRules(), kastest.Rule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"patch"}})
	s := storeFor(t, srv.Kubeconfig(t, "node-writer", rules))
	srv.PutNode(t, "win-1", map[string]string{"zone": "a"})
	want := datastore.VXLANTunnel{Addr: "10.244.5.1", MAC: "00:15:5d:17:58:b4"}
	if err := s.SetVXLANTunnel(testCtx(t), "win-1", want); err != nil {
		t.Fatal(err)
	}
	var n struct {
		Metadata struct {
			Labels, Annotations map[string]string
		} `json:"metadata"`
	}
	srv.Object(t, "/api/v1/nodes/win-1", &n)
	if n.Metadata.Annotations["projectcalico.org/IPv4VXLANTunnelAddr"] != "10.244.5.1" ||
		n.Metadata.Annotations["projectcalico.org/VXLANTunnelMACAddr"] != "00:15:5d:17:58:b4" || n.Metadata.Labels["zone"] != "a" {
		t.Fatalf("node metadata = %+v", n.Metadata)
	}
	snap, err := s.Read(testCtx(t), datastore.Query{Node: "win-1"})
	if err != nil || snap.Node.VXLANTunnel != want {
		t.Fatalf("read back %+v, %v", snap.Node, err)
	}
	if err := s.SetVXLANTunnel(testCtx(t), "win-1", datastore.VXLANTunnel{Addr: "10.244.5.65"}); err != nil {
		t.Fatal(err)
	}
	snap, _ = s.Read(testCtx(t), datastore.Query{Node: "win-1"})
	if snap.Node.VXLANTunnel != (datastore.VXLANTunnel{Addr: "10.244.5.65"}) {
		t.Fatalf("after clearing the MAC: %+v", snap.Node.VXLANTunnel)
	}
}
