package ipam_test

import (
	"fmt"
	"testing"

	"github.com/calico-win/cni/datastore"
)

// GC of more handles than one etcd transaction may write (128 operations)
// releases them all, in batches.
func TestGCOfManyHandlesIntegration(t *testing.T) {
	e := newEnv(t, "10.1.0.0/23", 26, true, 0)
	a := e.alloc("win-1")
	const n = 141
	for i := range n {
		if _, err := a.Assign(ctx(t), req(fmt.Sprint("stale", i)), datastore.Query{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Assign(ctx(t), req("keep"), datastore.Query{}); err != nil {
		t.Fatal(err)
	}
	var seen int
	released, err := a.GC(ctx(t), func(h string, attrs map[string]string) bool {
		seen++
		if attrs["node"] != "win-1" || attrs["pod"] != "pod-"+h[len("Calico."):] {
			t.Errorf("handle %s has attributes %v", h, attrs)
		}
		return h != "Calico.keep"
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(released) != n || seen != n+1 {
		t.Fatalf("GC released %d of %d handles (collect saw %d)", len(released), n, seen)
	}
	if l := e.srv.List(t, "/calico/ipam/v2/handle/"); len(l) != 1 || l[0].Key != "/calico/ipam/v2/handle/Calico.keep" {
		t.Fatalf("handles left: %v", l)
	}
}
