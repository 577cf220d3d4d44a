package ipam

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
)

// Release with a cooldown and the collection of expired entries, on plain
// values (Calico's releaseByHandle and garbageCollect).
func TestReleaseCooldownAndCollect(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cooldown int
		after    time.Duration // when the block is collected again
		freed    bool          // the address is back in the free list then
	}{
		{"no cooldown frees at once", 0, 0, true},
		{"within the cooldown", 60, 59 * time.Second, false},
		{"cooldown over", 60, 61 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBlock(netip.MustParsePrefix("10.0.0.0/29"), "win-1", t0)
			a, _ := allocate(&b, attr("Calico.a"), nil, nil) // .3
			if _, err := allocate(&b, attr("Calico.b"), nil, nil); err != nil {
				t.Fatal(err)
			}
			seq := b.SequenceNumber
			if n := release(&b, "Calico.a", t0, tc.cooldown); n != 1 {
				t.Fatalf("released %d", n)
			}
			if b.SequenceNumber != seq+1 {
				t.Errorf("sequence number %d, want %d", b.SequenceNumber, seq+1)
			}
			garbageCollect(&b, tc.cooldown, t0.Add(tc.after))
			ord := 3
			back := b.Allocations[ord] == nil && b.Unallocated[len(b.Unallocated)-1] == ord
			if back != tc.freed {
				t.Fatalf("%s back in the free list = %v, want %v (allocations %v, unallocated %v)", a, back, tc.freed, b.Allocations, b.Unallocated)
			}
			_, hasSeq := b.SequenceNumberForAllocation["3"]
			if hasSeq == tc.freed {
				t.Errorf("sequence number of ordinal 3 kept = %v with freed = %v", hasSeq, tc.freed)
			}
			if got := addrsOf(&b, "Calico.b"); len(got) != 1 || got[0].String() != "10.0.0.4" {
				t.Errorf("Calico.b holds %v after renumbering", got)
			}
			data, _ := json.Marshal(b.Attributes)
			if strings.Contains(string(data), `"releasedAt"`) == tc.freed {
				t.Errorf("attributes %s (freed = %v)", data, tc.freed)
			}
			if !tc.freed && !strings.Contains(string(data), `{"releasedAt":"2026-`) {
				t.Errorf("the cooldown attribute is not Calico's {\"releasedAt\": ...}: %s", data)
			}
			if isEmpty(&b) {
				t.Error("a block holding Calico.b reads as empty")
			}
		})
	}
}

// A block whose only allocation is in cooldown is not empty (Calico's
// empty()); the Windows reservations never make it non-empty.
func TestEmptyIgnoresOnlyWindowsReservations(t *testing.T) {
	b := newBlock(netip.MustParsePrefix("10.0.0.0/29"), "win-1", t0)
	if !isEmpty(&b) {
		t.Fatal("a new block with only the Windows reservations is not empty")
	}
	upper := "Windows-Reserved-IPAM-Handle" // Calico lower-cases before comparing
	b.Attributes[0].HandleID = &upper
	if !isEmpty(&b) {
		t.Error("the reservations' handle is matched case-sensitively")
	}
	allocate(&b, attr("Calico.a"), nil, nil)
	release(&b, "Calico.a", t0, 60)
	if isEmpty(&b) {
		t.Error("a block with an address in cooldown reads as empty")
	}
	garbageCollect(&b, 60, t0.Add(time.Hour))
	if !isEmpty(&b) {
		t.Error("not empty after the cooldown")
	}
}

// unusable: whole-block reservations and reservations of every address the
// Windows reservations leave.
func TestUnusableBlocks(t *testing.T) {
	blk := netip.MustParsePrefix("10.0.0.0/29")
	for _, tc := range []struct {
		res  []string
		want bool
	}{
		{nil, false},
		{[]string{"10.0.0.0/24"}, true},
		{[]string{"10.0.0.0/29"}, true},
		{[]string{"10.0.0.3/32", "10.0.0.4/31"}, false}, // .6 is left
		{[]string{"10.0.0.3/32", "10.0.0.4/31", "10.0.0.6/32"}, true},
		{[]string{"10.0.0.0/30"}, false},
		{[]string{"10.0.0.8/29"}, false},
	} {
		var res []netip.Prefix
		for _, r := range tc.res {
			p, _ := datastore.ParseReservedCIDR(r)
			res = append(res, p)
		}
		if got := unusable(blk, res); got != tc.want {
			t.Errorf("unusable(%s, %v) = %v, want %v", blk, tc.res, got, tc.want)
		}
	}
}
