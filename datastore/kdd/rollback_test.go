package kdd

import (
	"errors"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
	"github.com/calico-win/cni/internal/kastest"
)

// TestCommitRollbackIntegration: a Change that loses a compare-and-swap
// part way leaves no trace: what it created is deleted again, what it
// updated or marked deleted is restored.
func TestCommitRollbackIntegration(t *testing.T) {
	other := netip.MustParsePrefix("10.244.6.0/26")
	for _, tc := range []struct {
		name   string
		change func(s *Store, seeded *datastore.Snapshot) datastore.Change
		want   error
		trail  []string // what the server sees of the Change and its undoing
	}{
		{"new affinity, stale handle", func(s *Store, seeded *datastore.Snapshot) datastore.Change {
			h := seeded.Handles[goldenHandle]
			fresh := h.Value
			fresh.Block = map[string]int{goldenBlock.String(): 5}
			commit(t, s, datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Update, Value: fresh, Rev: h.Rev}}})
			return datastore.Change{
				Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create,
					Value: datastore.Affinity{Host: goldenHost, CIDR: other, State: datastore.AffinityConfirmed}}},
				Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Update, Value: h.Value, Rev: h.Rev}},
			}
		}, datastore.ErrConflict, []string{
			"ADDED blockaffinities pending deleted=false",
			"DELETED blockaffinities",
		}},
		{"handle updated, block stale", func(s *Store, seeded *datastore.Snapshot) datastore.Change {
			h, b := seeded.Handles[goldenHandle], seeded.Blocks[goldenBlock]
			bumped := b.Value
			bumped.SequenceNumber++
			commit(t, s, datastore.Change{Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: bumped, Rev: b.Rev}}})
			more := h.Value
			more.Block = maps.Clone(h.Value.Block)
			more.Block[goldenBlock.String()]++
			return datastore.Change{
				Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Update, Value: more, Rev: h.Rev}},
				Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: b.Value, Rev: b.Rev}},
			}
		}, datastore.ErrConflict, []string{
			"MODIFIED ipamhandles deleted=false", // 2 addresses
			"MODIFIED ipamhandles deleted=false", // back to 1
		}},
		{"claim of a block another host has", func(_ *Store, _ *datastore.Snapshot) datastore.Change {
			taken := windowsBlock()
			return claim("win-node-2", taken, "Calico.other")
		}, datastore.ErrExists, []string{
			"ADDED blockaffinities pending deleted=false",
			"ADDED ipamhandles deleted=false",
			"DELETED ipamhandles",
			"DELETED blockaffinities",
		}},
		{"deletes, the last one stale", func(_ *Store, seeded *datastore.Snapshot) datastore.Change {
			h, b := seeded.Handles[goldenHandle], seeded.Blocks[goldenBlock]
			return datastore.Change{
				Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Delete, Value: h.Value, Rev: "1"}},
				Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Delete, Value: b.Value, Rev: b.Rev}},
			}
		}, datastore.ErrConflict, []string{
			"MODIFIED ipamblocks deleted=true",
			"MODIFIED ipamblocks deleted=false",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := newTestStore(t)
			commit(t, s, claim(goldenHost, windowsBlock(), goldenHandle))
			q := datastore.Query{Affinities: goldenHost, Handles: []string{goldenHandle}, Blocks: []netip.Prefix{goldenBlock}}
			seeded, err := s.Read(testCtx(t), q)
			if err != nil {
				t.Fatal(err)
			}
			c := tc.change(s, seeded)
			before, err := s.Read(testCtx(t), q)
			if err != nil {
				t.Fatal(err)
			}
			since := srv.Revision(t)
			if err := s.Commit(testCtx(t), c); !errors.Is(err, tc.want) {
				t.Fatalf("Commit: %v, want %v", err, tc.want)
			}
			after, err := s.Read(testCtx(t), q)
			if err != nil {
				t.Fatal(err)
			}
			storetest.SameJSON(t, "block", after.Blocks[goldenBlock].Value, before.Blocks[goldenBlock].Value)
			storetest.SameJSON(t, "handle", after.Handles[goldenHandle].Value, before.Handles[goldenHandle].Value)
			if len(after.Affinities) != 1 || after.Affinities[0].Value != before.Affinities[0].Value {
				t.Errorf("affinities %+v, want %+v", after.Affinities, before.Affinities)
			}
			for _, p := range []string{kastest.CalicoPath("ipamhandles", "calico.other"), kastest.CalicoPath("blockaffinities", "win-node-1-10-244-6-0-26"),
				kastest.CalicoPath("blockaffinities", "win-node-2-10-244-5-0-26")} {
				if srv.Exists(t, p) {
					t.Errorf("%s was left behind", p)
				}
			}
			var trail []string
			for _, e := range srv.Events(t, since, ipamCollections...) {
				trail = append(trail, describe(e))
			}
			if !slices.Equal(trail, tc.trail) {
				t.Errorf("the server saw\n  %s\nwant\n  %s", strings.Join(trail, "\n  "), strings.Join(tc.trail, "\n  "))
			}
		})
	}
}
