package etcd

import (
	"testing"

	"github.com/calico-win/cni/datastore"
)

// TestSetVXLANTunnelKeepsTheNodeIntegration: the Node calico-node wrote
// keeps every other field (BGP, orchRefs, status), in Calico's top-level
// order, with the tunnel set in its spec.
func TestSetVXLANTunnelKeepsTheNodeIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	key := "/calico/resources/v3/projectcalico.org/nodes/win-1"
	srv.Put(t, key, `{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"win-1","uid":"u1","creationTimestamp":"2026-11-22T02:00:00Z","labels":{"zone":"a"}},`+
		`"spec":{"bgp":{"ipv4Address":"10.0.0.4/24"},"ipv4VXLANTunnelAddr":"10.244.9.1","orchRefs":[{"nodeName":"win-1","orchestrator":"k8s"}]},"status":{"podCIDRs":["10.244.5.0/24"]}}`)
	if err := s.SetVXLANTunnel(testCtx(t), "win-1", datastore.VXLANTunnel{Addr: "10.244.5.1", MAC: "00:15:5d:17:58:b4"}); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Get(t, key)
	want := `{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"win-1","uid":"u1","creationTimestamp":"2026-11-22T02:00:00Z","labels":{"zone":"a"}},` +
		`"spec":{"bgp":{"ipv4Address":"10.0.0.4/24"},"ipv4VXLANTunnelAddr":"10.244.5.1","orchRefs":[{"nodeName":"win-1","orchestrator":"k8s"}],"vxlanTunnelMACAddr":"00:15:5d:17:58:b4"},"status":{"podCIDRs":["10.244.5.0/24"]}}`
	if got != want {
		t.Errorf("Node\n got %s\nwant %s", got, want)
	}
}
