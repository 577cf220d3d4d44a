package kdd

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// The worked example of the reference (§4.10): node win-node-1 claims
// 10.244.5.0/26 and gives its first free address, .3, to one pod.
var (
	goldenHost   = "win-node-1"
	goldenBlock  = netip.MustParsePrefix("10.244.5.0/26")
	goldenHandle = "Calico.0A1298CFe8d1" // mixed case: the object name is lowered, handleID is not
	goldenSeq    = uint64(1795312570694147568)
	claimTime    = time.Date(2026, 11, 22, 1, 56, 10, 0, time.UTC)
)

func ptr[T any](v T) *T { return &v }

// windowsBlock is a new block as Calico's Windows IPAM makes it: ordinals 0,
// 1, 2 and 63 reserved, and ordinal 3 given to goldenHandle.
func windowsBlock() datastore.Block {
	b := datastore.Block{
		CIDR: goldenBlock, Affinity: ptr("host:" + goldenHost), AffinityClaimTime: &datastore.ClaimTime{Time: claimTime},
		Allocations: make([]*int, 64),
		Attributes: []datastore.Attribute{
			{HandleID: ptr(datastore.WindowsReservedHandle), Secondary: map[string]string{"note": datastore.WindowsReservedNote}},
			{HandleID: ptr(goldenHandle), Secondary: map[string]string{"namespace": "default", "node": goldenHost, "pod": "web-0",
				"timestamp": "2026-11-22 01:56:10.123456789 +0000 UTC"}},
		},
		SequenceNumber:              goldenSeq + 1,
		SequenceNumberForAllocation: map[string]uint64{"3": goldenSeq},
	}
	for _, o := range []int{0, 1, 2, 63} {
		b.Allocations[o] = ptr(0)
	}
	b.Allocations[3] = ptr(1)
	for o := 4; o < 63; o++ {
		b.Unallocated = append(b.Unallocated, o)
	}
	return b
}

// claim is the Change of a claim: affinity, handle and block created.
func claim(host string, b datastore.Block, handle string) datastore.Change {
	return datastore.Change{
		Affinities: []datastore.Write[datastore.Affinity]{{Op: datastore.Create,
			Value: datastore.Affinity{Host: host, CIDR: b.CIDR, State: datastore.AffinityConfirmed}}},
		Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create,
			Value: datastore.Handle{HandleID: handle, Block: map[string]int{b.CIDR.String(): 1}}}},
		Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Create, Value: b}},
	}
}

func commit(t testing.TB, s *Store, c datastore.Change) {
	t.Helper()
	if err := s.Commit(testCtx(t), c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// stored reads an object as the server stores it, keeping what Calico
// defines (apiVersion, kind, name, labels, spec) and dropping what the
// server adds (uid, resourceVersion, timestamps, managedFields).
func stored(t testing.TB, srv *kastest.Server, path string) map[string]any {
	t.Helper()
	var raw json.RawMessage
	srv.Object(t, path, &raw)
	o := decodeExact(t, raw)
	m := o["metadata"].(map[string]any)
	kept := map[string]any{"name": m["name"]}
	if l, ok := m["labels"]; ok {
		kept["labels"] = l
	}
	o["metadata"] = kept
	return o
}

// sameObject compares an object with its expected JSON, as values.
func sameObject(t testing.TB, what string, got map[string]any, want string) {
	t.Helper()
	w := decodeExact(t, []byte(want))
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		n, _ := json.Marshal(w)
		t.Errorf("%s:\n got %s\nwant %s", what, g, n)
	}
}

// decodeExact decodes JSON keeping numbers as written: sequence numbers
// need all 64 bits, which a float64 does not have.
func decodeExact(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var o map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return o
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
