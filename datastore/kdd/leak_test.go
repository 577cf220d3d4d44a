package kdd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// checkNoLeak reads every IPAM object as the administrator and fails the
// test on anything a reader could not account for: an address without its
// handle, a handle counting addresses its blocks do not hold, a block
// affine to a host without that host's affinity, an affinity without its
// block. Objects marked deleted count as absent, as they do to Calico.
// held is the number of addresses the test expects allocated.
func checkNoLeak(t testing.TB, srv *kastest.Server, held int) {
	t.Helper()
	var blocks struct{ Items []object[blockSpec] }
	var handles struct{ Items []object[handleSpec] }
	var affs struct{ Items []object[affinitySpec] }
	srv.Object(t, kastest.CalicoPath("ipamblocks", ""), &blocks)
	srv.Object(t, kastest.CalicoPath("ipamhandles", ""), &handles)
	srv.Object(t, kastest.CalicoPath("blockaffinities", ""), &affs)
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }

	counts := map[string]map[string]int{} // handle -> block -> addresses
	liveBlocks := map[string]*object[blockSpec]{}
	n := 0
	for i := range blocks.Items {
		b := &blocks.Items[i]
		if b.Spec.Deleted {
			continue
		}
		liveBlocks[b.Spec.CIDR] = b
		for _, a := range b.Spec.Allocations {
			if a == nil || *a >= len(b.Spec.Attributes) {
				continue
			}
			h := b.Spec.Attributes[*a].HandleID
			if h == nil || *h == datastore.WindowsReservedHandle {
				continue
			}
			n++
			if counts[*h] == nil {
				counts[*h] = map[string]int{}
			}
			counts[*h][b.Spec.CIDR]++
		}
	}
	liveHandles := map[string]bool{}
	for _, h := range handles.Items {
		if h.Spec.Deleted {
			continue
		}
		liveHandles[h.Spec.HandleID] = true
		for cidr, c := range h.Spec.Block {
			if got := counts[h.Spec.HandleID][cidr]; got != c {
				bad("handle %s counts %d addresses in %s, the block holds %d", h.Spec.HandleID, c, cidr, got)
			}
		}
	}
	for h, per := range counts {
		if !liveHandles[h] {
			bad("block(s) %v hold addresses of handle %s, which does not exist", per, h)
		}
	}
	hostAff := map[string]bool{} // host/cidr
	for _, a := range affs.Items {
		if a.Spec.isDeleted() || a.Spec.State == datastore.AffinityPendingDeletion {
			continue
		}
		hostAff[a.Spec.Node+"/"+a.Spec.CIDR] = true
		b := liveBlocks[a.Spec.CIDR]
		if b == nil || b.Spec.Affinity == nil || *b.Spec.Affinity != "host:"+a.Spec.Node {
			bad("affinity %s (%s) has no block affine to %s", a.Metadata.Name, a.Spec.State, a.Spec.Node)
		}
	}
	for cidr, b := range liveBlocks {
		if b.Spec.Affinity != nil {
			host := strings.TrimPrefix(*b.Spec.Affinity, "host:")
			if !hostAff[host+"/"+cidr] {
				bad("block %s is affine to %s, which has no affinity for it", cidr, host)
			}
		}
	}
	if n != held {
		bad("%d addresses allocated, want %d", n, held)
	}
	if len(problems) > 0 {
		t.Errorf("IPAM objects inconsistent:\n  %s", strings.Join(problems, "\n  "))
	}
}
