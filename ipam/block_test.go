package ipam

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
)

var t0 = time.Date(2026, 11, 22, 1, 56, 10, 684482516, time.UTC)

func attr(h string) datastore.Attribute {
	return datastore.Attribute{HandleID: ptr(h), Secondary: map[string]string{"node": "win-1"}}
}

func TestNewBlockHasWindowsReservations(t *testing.T) {
	b := newBlock(netip.MustParsePrefix("10.244.5.0/26"), "win-1", t0)
	js, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	// Reference §4.10: allocations [0,0,0,null×60,0], unallocated [3…62],
	// one shared reserved attribute, no per-ordinal sequence numbers.
	want := `{"cidr":"10.244.5.0/26","affinity":"host:win-1","affinity_claim_time":"2026-11-22T01:56:10Z","allocations":[0,0,0,` +
		strings.Repeat("null,", 60) + `0],"unallocated":[` + seq(3, 62) + `],"attributes":[{"handle_id":"windows-reserved-ipam-handle","secondary":{"note":"windows host rsvd"}}],` +
		`"sequenceNumber":1795312570684482516,"sequenceNumberForAllocation":{},"deleted":false}`
	if string(js) != want {
		t.Fatalf("new block JSON\n got %s\nwant %s", js, want)
	}
	if !isEmpty(&b) {
		t.Error("a block with only reservations must count as empty")
	}
	if got := freeCount(&b, nil); got != 60 {
		t.Errorf("free = %d, want 60", got)
	}
}

func seq(from, to int) string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, itoa(i))
	}
	return strings.Join(s, ",")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestAllocateTakesHeadAndRecordsSequence(t *testing.T) {
	b := newBlock(netip.MustParsePrefix("10.244.5.0/26"), "win-1", t0)
	s := b.SequenceNumber
	a1, err := allocate(&b, attr("Calico.a"), nil, nil)
	if err != nil || a1.String() != "10.244.5.3" {
		t.Fatalf("first = %v, %v; want 10.244.5.3", a1, err)
	}
	a2, _ := allocate(&b, attr("Calico.b"), nil, nil)
	if a2.String() != "10.244.5.4" {
		t.Fatalf("second = %v", a2)
	}
	if b.SequenceNumberForAllocation["3"] != s || b.SequenceNumberForAllocation["4"] != s+1 || b.SequenceNumber != s+2 {
		t.Fatalf("sequence numbers: %v, block %d (start %d)", b.SequenceNumberForAllocation, b.SequenceNumber, s)
	}
	if *b.Allocations[3] != 1 || *b.Allocations[4] != 2 || len(b.Attributes) != 3 {
		t.Fatalf("allocations/attributes: %v %v", b.Allocations[:5], b.Attributes)
	}
}

func TestReleaseIsFIFOAndPrunesAttributes(t *testing.T) {
	b := newBlock(netip.MustParsePrefix("10.0.0.0/29"), "win-1", t0)
	a, _ := allocate(&b, attr("Calico.a"), nil, nil)
	if _, err := allocate(&b, attr("Calico.b"), nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := release(&b, "Calico.a", t0, 0); n != 1 {
		t.Fatalf("released %d", n)
	}
	// .3 goes to the tail: the next allocation gets .5, not .3.
	next, _ := allocate(&b, attr("Calico.c"), nil, nil)
	if next.String() != "10.0.0.5" {
		t.Fatalf("after release got %v, want 10.0.0.5 (FIFO)", next)
	}
	if addrs := addrsOf(&b, "Calico.a"); len(addrs) != 0 {
		t.Fatalf("released handle still holds %v", addrs)
	}
	for _, at := range b.Attributes {
		if *at.HandleID == "Calico.a" {
			t.Fatal("attribute of a released handle was kept")
		}
	}
	if got := addrsOf(&b, "Calico.b"); len(got) != 1 || got[0].String() != "10.0.0.4" {
		t.Fatalf("renumbering broke Calico.b: %v", got)
	}
	if _, err := allocate(&b, attr("Calico.d"), nil, nil); err != nil {
		t.Fatalf("a /29 has 4 pod addresses: %v", err)
	}
	if last, err := allocate(&b, attr("Calico.e"), nil, nil); err != nil || last != a {
		t.Fatalf("the released %v must come back last, got %v, %v", a, last, err)
	}
	if _, err := allocate(&b, attr("Calico.f"), nil, nil); err == nil {
		t.Fatal("a /29 holds only 4 pods")
	}
}

func TestAllocateSpecificAddress(t *testing.T) {
	b := newBlock(netip.MustParsePrefix("10.0.0.0/26"), "win-1", t0)
	for _, tc := range []struct {
		ip, err string
	}{
		{"10.0.0.1", "reserved"},
		{"10.0.0.63", "reserved"},
		{"10.0.0.64", "not in block"},
		{"10.0.0.40", ""},
		{"10.0.0.40", "already in use"},
	} {
		ip := netip.MustParseAddr(tc.ip)
		got, err := allocate(&b, attr("Calico.x"), &ip, nil)
		if tc.err == "" {
			if err != nil || got != ip {
				t.Errorf("%s: got %v, %v", tc.ip, got, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err %v, want %q", tc.ip, err, tc.err)
		}
	}
}
