package ipam_test

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/ipam"
)

// A Prepare that asks for one address (the plugin's ipAddrs pod
// annotation, known only once the pod is read) gets that address, also when
// the node's block hint made the first read the optimistic one.
func TestPrepareSetsIPWithHintIntegration(t *testing.T) {
	e := newEnv(t, "10.244.5.0/26", 26, true, 0)
	a := e.alloc("win-1")
	a.Hint = &memHint{}
	if _, err := a.Assign(ctx(t), req("c1"), datastore.Query{}); err != nil {
		t.Fatal(err)
	}
	if !a.Hint.Load().CIDR.IsValid() {
		t.Fatal("the first assignment left no hint")
	}
	want := netip.MustParseAddr("10.244.5.20")
	r := req("c2")
	r.Prepare = func(_ *datastore.Snapshot, r *ipam.Request) error { r.IP = want; return nil }
	asg, err := a.Assign(ctx(t), r, datastore.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if asg.Addr != want {
		t.Fatalf("Prepare asked for %s, got %s", want, asg.Addr)
	}
}
