package kdd

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// markDeleted does the first step of Calico's soft delete and no more, as
// a Calico process killed between the two steps leaves an object.
func markDeleted(t testing.TB, srv *kastest.Server, plural, name string, mark any) {
	t.Helper()
	var raw json.RawMessage
	srv.Object(t, kastest.CalicoPath(plural, name), &raw)
	o := decodeExact(t, raw)
	o["spec"].(map[string]any)["deleted"] = mark
	srv.Admin(t, http.MethodPut, kastest.CalicoPath(plural, name), o)
}

// TestMarkedObjectsAreAbsentIntegration: objects a crashed Calico left
// marked deleted are absent to every read, and a GET finishes their delete,
// as libcalico-go's readers do; a create is not blocked by one.
func TestMarkedObjectsAreAbsentIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	commit(t, s, claim(goldenHost, windowsBlock(), goldenHandle))
	markDeleted(t, srv, "ipamblocks", "10-244-5-0-26", true)
	markDeleted(t, srv, "ipamhandles", "calico.0a1298cfe8d1", true)
	markDeleted(t, srv, "blockaffinities", "win-node-1-10-244-5-0-26", "true")

	exist, err := s.BlocksExist(testCtx(t), []netip.Prefix{goldenBlock})
	if err != nil || !exist[0] {
		t.Errorf("BlocksExist of a block marked but not removed = %v, %v; want true (a claim must skip it)", exist, err)
	}
	snap, err := s.Read(testCtx(t), datastore.Query{Affinities: goldenHost, Handles: []string{goldenHandle}, Blocks: []netip.Prefix{goldenBlock}})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Affinities)+len(snap.Handles)+len(snap.Blocks) != 0 {
		t.Errorf("marked objects were read: %+v", snap)
	}
	ids, err := s.ListHandleIDs(testCtx(t), "")
	if err != nil || len(ids) != 0 {
		t.Errorf("ListHandleIDs = %v, %v; want none", ids, err)
	}
	for _, tc := range []struct {
		plural, name string
		gone         bool
	}{
		{"ipamblocks", "10-244-5-0-26", true},                  // GET finished the delete
		{"ipamhandles", "calico.0a1298cfe8d1", true},           // likewise
		{"blockaffinities", "win-node-1-10-244-5-0-26", false}, // a list only leaves it out
	} {
		if gone := !srv.Exists(t, kastest.CalicoPath(tc.plural, tc.name)); gone != tc.gone {
			t.Errorf("%s %s: gone = %v, want %v", tc.plural, tc.name, gone, tc.gone)
		}
	}
	// The affinity still blocks its name: creating it anew finishes the
	// delete first.
	commit(t, s, datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create,
		Value: datastore.Affinity{Host: goldenHost, CIDR: goldenBlock, State: datastore.AffinityPending}}}})
	snap, err = s.Read(testCtx(t), datastore.Query{Affinities: goldenHost})
	if err != nil || len(snap.Affinities) != 1 || snap.Affinities[0].Value.State != datastore.AffinityPending {
		t.Errorf("affinity created over a marked one: %+v, %v", snap.Affinities, err)
	}
}
