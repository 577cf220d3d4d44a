package kdd

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// TestCalicoMetadataAnnotationIntegration: every IPAM object carries the
// projectcalico.org/metadata annotation as libcalico-go writes it on the
// crd.projectcalico.org/v1 API (the v3 metadata without name,
// resourceVersion and uid: nothing, or an affinity's labels), after a
// create and after an update alike.
func TestCalicoMetadataAnnotationIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	affName := affinityName(goldenHost, goldenBlock)
	want := map[string]string{
		kastest.CalicoPath("ipamblocks", blockName(goldenBlock)):    `{}`,
		kastest.CalicoPath("ipamhandles", handleName(goldenHandle)): `{}`,
		kastest.CalicoPath("blockaffinities", affName):              `{"labels":{"projectcalico.org/affinity-type":"host","projectcalico.org/hostname-hash":"` + hostnameHash(goldenHost) + `","projectcalico.org/ip-version":"4"}}`,
	}
	check := func(when string) {
		t.Helper()
		for path, v := range want {
			var o struct {
				Metadata struct{ Annotations map[string]string }
			}
			srv.Object(t, path, &o)
			if got := o.Metadata.Annotations["projectcalico.org/metadata"]; got != v {
				t.Errorf("%s: %s has %s=%q, want %q", when, path, "projectcalico.org/metadata", got, v)
			}
		}
	}
	commit(t, s, claim(goldenHost, windowsBlock(), goldenHandle))
	check("after the claim")

	snap, err := s.Read(testCtx(t), datastore.Query{Affinities: goldenHost, Handles: []string{goldenHandle}, Blocks: []netip.Prefix{goldenBlock}})
	if err != nil {
		t.Fatal(err)
	}
	b, h, a := snap.Blocks[goldenBlock], snap.Handles[goldenHandle], snap.Affinities[0]
	blk := b.Value
	blk.SequenceNumber++
	hv := h.Value
	hv.Block = map[string]int{goldenBlock.String(): 1}
	av := a.Value
	av.State = datastore.AffinityPending
	commit(t, s, datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Update, Value: av, Rev: a.Rev}},
		Handles:    []datastore.Write[datastore.Handle]{{Op: datastore.Update, Value: hv, Rev: h.Rev}},
		Blocks:     []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk, Rev: b.Rev}},
	})
	check("after updates")
}
