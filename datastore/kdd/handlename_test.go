package kdd

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
)

func TestCheckHandleID(t *testing.T) {
	for id, ok := range map[string]bool{
		"k8s-pod-network.0a1298cf":  true,
		"Calico.0A1298CFe8d1":       true, // lowered, as Calico does
		"my_net.0a1298cf":           false,
		"net.":                      false,
		"-net.0a1298cf":             false,
		"windows-bgp.0a12 98":       false,
		"vxlan.k8s.io.0a1298cf-abc": true,
	} {
		if err := checkHandleID(id); (err == nil) != ok {
			t.Errorf("checkHandleID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

// TestInvalidHandleIDIntegration: a handle ID the API server cannot name
// (a network name with "_") is refused before anything is written, with
// ErrInvalidHandleID (code 7, naming the "name" key), not the server's 422
// after an affinity was written; a read finds no such handle.
func TestInvalidHandleIDIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	since := srv.Revision(t)
	err := s.Commit(testCtx(t), claim(goldenHost, windowsBlock(), "my_net.0a1298cf"))
	if !errors.Is(err, ErrInvalidHandleID) {
		t.Fatalf("Commit: %v, want ErrInvalidHandleID", err)
	}
	if ev := srv.Events(t, since, ipamCollections(srv)...); len(ev) != 0 {
		t.Errorf("the refused Change wrote %d objects", len(ev))
	}
	snap, err := s.Read(testCtx(t), datastore.Query{Handles: []string{"my_net.0a1298cf"}, Blocks: []netip.Prefix{goldenBlock}})
	if err != nil || len(snap.Handles) != 0 {
		t.Errorf("Read of the handle: %v, %v; want absent", snap, err)
	}
}
