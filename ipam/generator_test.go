package ipam

import (
	"net/netip"
	"testing"
)

// The first blocks Calico picked for these hosts, observed on a real cluster
// (reference: calico-etcd-observed.md §9.3).
func TestBlockCandidatesMatchCalico(t *testing.T) {
	pool := netip.MustParsePrefix("10.244.0.0/16")
	for host, want := range map[string]string{
		"node1":  "10.244.166.128/26",
		"fresh6": "10.244.242.192/26",
	} {
		var got netip.Prefix
		blockCandidates(pool, 26, host, func(p netip.Prefix) bool { got = p; return false })
		if got.String() != want {
			t.Errorf("first block for %s = %s, want %s", host, got, want)
		}
	}
}

func TestBlockCandidatesVisitEachBlockOnce(t *testing.T) {
	pool := netip.MustParsePrefix("10.0.0.0/24")
	seen := map[netip.Prefix]bool{}
	blockCandidates(pool, 28, "win-1", func(p netip.Prefix) bool {
		if seen[p] {
			t.Fatalf("%s visited twice", p)
		}
		if !pool.Contains(p.Addr()) || p.Bits() != 28 || p.Masked() != p {
			t.Fatalf("bad candidate %s", p)
		}
		seen[p] = true
		return true
	})
	if len(seen) != 16 {
		t.Fatalf("visited %d blocks, want 16", len(seen))
	}
}
