package storetest

import (
	"testing"

	"github.com/calico-win/cni/datastore"
)

// testSetVXLANTunnel: the tunnel is written, read back with the Node, can
// change, and leaves the Node's labels alone; a missing node is ErrNotFound.
// Without the right to write nodes it is ErrUnauthorized and changes nothing.
func testSetVXLANTunnel(t *testing.T, s datastore.Store, seed Seeder) {
	seed.SeedNode(t, datastore.Node{Name: "win-1", Labels: map[string]string{"zone": "a"}})
	if n := read(t, s, datastore.Query{Node: "win-1"}).Node; n == nil || n.VXLANTunnel != (datastore.VXLANTunnel{}) {
		t.Fatalf("a seeded node has tunnel %+v, want none", n)
	}
	if !seed.Capabilities().NodeWrites {
		wantErr(t, "SetVXLANTunnel without the right to write nodes",
			s.SetVXLANTunnel(ctx(t), "win-1", datastore.VXLANTunnel{Addr: "10.244.5.1"}), datastore.ErrUnauthorized)
		if n := read(t, s, datastore.Query{Node: "win-1"}).Node; n == nil || n.VXLANTunnel != (datastore.VXLANTunnel{}) {
			t.Fatalf("a refused SetVXLANTunnel changed the node: %+v", n)
		}
		return
	}
	for _, want := range []datastore.VXLANTunnel{
		{Addr: "10.244.5.1", MAC: "00:15:5d:17:58:b4"},
		{Addr: "10.244.5.65", MAC: "00:15:5d:aa:bb:cc"},
	} {
		if err := s.SetVXLANTunnel(ctx(t), "win-1", want); err != nil {
			t.Fatalf("SetVXLANTunnel(%+v): %v", want, err)
		}
		n := read(t, s, datastore.Query{Node: "win-1"}).Node
		if n == nil || n.VXLANTunnel != want || n.Labels["zone"] != "a" {
			t.Fatalf("after SetVXLANTunnel(%+v): %+v", want, n)
		}
	}
	wantErr(t, "SetVXLANTunnel of a missing node", s.SetVXLANTunnel(ctx(t), "no-such-node", datastore.VXLANTunnel{Addr: "10.0.0.1"}), datastore.ErrNotFound)
}
