package kdd

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/storetest"
	"github.com/calico-win/cni/internal/kastest"
)

// TestGoldenObjectsIntegration: a claim writes exactly the objects Calico's
// Kubernetes backend writes (libcalico-go resources/ipam_*.go), as the
// server stores them after validating them against Calico's CRDs (which
// would also have pruned any field the schema does not know).
func TestGoldenObjectsIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	commit(t, s, claim(goldenHost, windowsBlock(), goldenHandle))

	nulls := strings.TrimSuffix(strings.Repeat("null,", 59), ",")
	var free []string
	for o := 4; o < 63; o++ {
		free = append(free, fmt.Sprint(o))
	}
	sameObject(t, "IPAMBlock", stored(t, srv, kastest.CalicoPath("ipamblocks", "10-244-5-0-26")), `{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "IPAMBlock",
		"metadata": {"name": "10-244-5-0-26"},
		"spec": {
			"cidr": "10.244.5.0/26",
			"affinity": "host:win-node-1",
			"affinityClaimTime": "2026-11-22T01:56:10Z",
			"allocations": [0,0,0,1,`+nulls+`,0],
			"unallocated": [`+strings.Join(free, ",")+`],
			"attributes": [
				{"handle_id": "windows-reserved-ipam-handle", "secondary": {"note": "windows host rsvd"}},
				{"handle_id": "Calico.0A1298CFe8d1", "secondary": {"namespace": "default", "node": "win-node-1", "pod": "web-0",
					"timestamp": "2026-11-22 01:56:10.123456789 +0000 UTC"}}
			],
			"sequenceNumber": `+itoa(goldenSeq+1)+`,
			"sequenceNumberForAllocation": {"3": `+itoa(goldenSeq)+`},
			"deleted": false,
			"strictAffinity": false
		}}`)
	sameObject(t, "BlockAffinity", stored(t, srv, kastest.CalicoPath("blockaffinities", "win-node-1-10-244-5-0-26")), `{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "BlockAffinity",
		"metadata": {"name": "win-node-1-10-244-5-0-26", "labels": {
			"projectcalico.org/hostname-hash": "A2QRHMG6D3ISCVHANSNJ2OYBWKB3CGAPUS25IMJGFDIOUO7WO5MQ",
			"projectcalico.org/affinity-type": "host",
			"projectcalico.org/ip-version": "4"}},
		"spec": {"state": "confirmed", "node": "win-node-1", "type": "host", "cidr": "10.244.5.0/26", "deleted": "false"}}`)
	sameObject(t, "IPAMHandle", stored(t, srv, kastest.CalicoPath("ipamhandles", "calico.0a1298cfe8d1")), `{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "IPAMHandle",
		"metadata": {"name": "calico.0a1298cfe8d1"},
		"spec": {"handleID": "Calico.0A1298CFe8d1", "block": {"10.244.5.0/26": 1}, "deleted": false}}`)

	// And they read back as written.
	snap, err := s.Read(testCtx(t), datastore.Query{Affinities: goldenHost, Handles: []string{goldenHandle}, Blocks: []netip.Prefix{goldenBlock}})
	if err != nil {
		t.Fatal(err)
	}
	storetest.SameJSON(t, "block read back", snap.Blocks[goldenBlock].Value, windowsBlock())
	if h := snap.Handles[goldenHandle].Value; h.HandleID != goldenHandle || h.Block[goldenBlock.String()] != 1 {
		t.Errorf("handle read back: %+v", h)
	}
	if len(snap.Affinities) != 1 || snap.Affinities[0].Value != (datastore.Affinity{Host: goldenHost, CIDR: goldenBlock, State: datastore.AffinityConfirmed}) {
		t.Errorf("affinities read back: %+v", snap.Affinities)
	}
}

// TestLongHostAffinityIntegration: a host name too long for
// <host>-<block> is cut and hashed as Calico does, the label still finds it,
// and another host sharing its first 226 characters keeps its own.
func TestLongHostAffinityIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	long := strings.Repeat("h", 239)
	other := strings.Repeat("h", 240)
	commit(t, s, datastore.Change{Affinities: []datastore.Write[datastore.Affinity]{
		{Op: datastore.Create, Value: datastore.Affinity{Host: long, CIDR: goldenBlock, State: datastore.AffinityConfirmed}},
		{Op: datastore.Create, Value: datastore.Affinity{Host: other, CIDR: goldenBlock, State: datastore.AffinityConfirmed}},
	}})
	name := strings.Repeat("h", 226) + "-10-244-5-0-26-ed25fc94f02" // sha256sum of "<host>+10-244-5-0-26"
	got := stored(t, srv, kastest.CalicoPath("blockaffinities", name))
	if spec := got["spec"].(map[string]any); spec["node"] != long {
		t.Errorf("affinity %s is of node %v", name, spec["node"])
	}
	snap, err := s.Read(testCtx(t), datastore.Query{Affinities: long})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Affinities) != 1 || snap.Affinities[0].Value.Host != long {
		t.Errorf("affinities of the long host: %+v", snap.Affinities)
	}
}
