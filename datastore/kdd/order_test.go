package kdd

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// ipamCollections are the collections a Commit writes, in srv's group.
func ipamCollections(srv *kastest.Server) []string {
	return []string{srv.CalicoPath("blockaffinities", ""), srv.CalicoPath("ipamhandles", ""), srv.CalicoPath("ipamblocks", "")}
}

// describe sums an event up: type, kind, and the state an IPAM reader
// acts on.
func describe(e kastest.Event) string {
	var o struct {
		Spec struct {
			State   string `json:"state"`
			Deleted any    `json:"deleted"`
		} `json:"spec"`
	}
	_ = json.Unmarshal(e.Object, &o)
	kind := e.Resource[strings.LastIndexByte(e.Resource, '/')+1:]
	s := e.Type + " " + kind
	if e.Type == "DELETED" {
		return s
	}
	if o.Spec.State != "" {
		s += " " + o.Spec.State
	}
	return s + fmt.Sprintf(" deleted=%v", o.Spec.Deleted)
}

// TestCommitOrderIntegration: the server sees a Change's writes in Calico's
// crash-safe order, and deletes by the soft-delete protocol: all marks
// first, then the deletes.
func TestCommitOrderIntegration(t *testing.T) { bothGroups(t, testCommitOrder) }

func testCommitOrder(t *testing.T, crds kastest.CRDSet) {
	for _, tc := range []struct {
		name   string
		change func(seeded *datastore.Snapshot) datastore.Change
		want   []string
	}{
		{"claim", nil, []string{
			"ADDED blockaffinities pending deleted=false",
			"ADDED ipamhandles deleted=false",
			"ADDED ipamblocks deleted=false",
			"MODIFIED blockaffinities confirmed deleted=false",
		}},
		{"release of the last address", func(seeded *datastore.Snapshot) datastore.Change {
			b, h := seeded.Blocks[goldenBlock], seeded.Handles[goldenHandle]
			freed := b.Value
			freed.Allocations = append([]*int(nil), freed.Allocations...)
			freed.Allocations[3] = nil
			freed.Unallocated = append(append([]int(nil), freed.Unallocated...), 3)
			return datastore.Change{
				Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Delete, Value: h.Value, Rev: h.Rev}},
				Blocks:  []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: freed, Rev: b.Rev}},
			}
		}, []string{
			"MODIFIED ipamblocks deleted=false",
			"DELETED ipamhandles",
		}},
		{"everything deleted", func(seeded *datastore.Snapshot) datastore.Change {
			a, h, b := seeded.Affinities[0], seeded.Handles[goldenHandle], seeded.Blocks[goldenBlock]
			return datastore.Change{
				Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Delete, Value: a.Value, Rev: a.Rev}},
				Handles:    []datastore.Write[datastore.Handle]{{Op: datastore.Delete, Value: h.Value, Rev: h.Rev}},
				Blocks:     []datastore.Write[datastore.Block]{{Op: datastore.Delete, Value: b.Value, Rev: b.Rev}},
			}
		}, []string{
			"MODIFIED ipamblocks deleted=true",
			"MODIFIED ipamhandles deleted=true",
			"MODIFIED blockaffinities confirmed deleted=true",
			"DELETED ipamblocks",
			"DELETED ipamhandles",
			"DELETED blockaffinities",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := newTestStoreIn(t, crds)
			c := claim(goldenHost, windowsBlock(), goldenHandle)
			if tc.change != nil {
				commit(t, s, c)
				snap, err := s.Read(testCtx(t), datastore.Query{Affinities: goldenHost, Handles: []string{goldenHandle}, Blocks: []netip.Prefix{goldenBlock}})
				if err != nil {
					t.Fatal(err)
				}
				c = tc.change(snap)
			}
			since := srv.Revision(t)
			commit(t, s, c)
			var got []string
			for _, e := range srv.Events(t, since, ipamCollections(srv)...) {
				got = append(got, describe(e))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("the server saw\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
