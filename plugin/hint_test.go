package plugin

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/statedir"
	"github.com/calico-win/cni/internal/testdir"
	"github.com/calico-win/cni/ipam"
)

// The hint file is written in place, so a reader without the IPAM lock may
// see any mix of two versions: every mix is turned away (no hint), each
// whole version is read back as stored, and a file of an older version
// (no checksum) counts as no hint.
func TestHintFileTornWrites(t *testing.T) {
	dir := filepath.Join(testdir.New(t), "state")
	if err := statedir.Ensure(dir, false); err != nil {
		t.Fatal(err)
	}
	h := fileHint{path: filepath.Join(dir, "ipam-block-hint-Calico-win-1")}
	at := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	version := func(cidr string, rev string, seq uint64) ipam.Hint {
		p := netip.MustParsePrefix(cidr)
		owner := "host:win-1"
		return ipam.Hint{CIDR: p, AffinityAt: at, Block: datastore.Versioned[datastore.Block]{Rev: rev,
			Value: datastore.Block{CIDR: p, Affinity: &owner, Allocations: make([]*int, 64), SequenceNumber: seq}}}
	}
	a, b := version("10.244.5.0/26", "100", 7), version("10.244.5.64/26", "101", 8)
	var files [2][]byte
	for i, v := range []ipam.Hint{a, b} {
		h.Store(v)
		got := h.Load()
		if got.CIDR != v.CIDR || got.Block.Rev != v.Block.Rev || got.Block.Value.SequenceNumber != v.Block.Value.SequenceNumber {
			t.Fatalf("stored %v rev %s, loaded %v rev %s", v.CIDR, v.Block.Rev, got.CIDR, got.Block.Rev)
		}
		var err error
		if files[i], err = os.ReadFile(h.path); err != nil {
			t.Fatal(err)
		}
	}
	// A reader that read the first k bytes of one version and the rest of
	// the other (either way round; the file's length is either's).
	mixes := 0
	for _, pair := range [][2][]byte{{files[0], files[1]}, {files[1], files[0]}} {
		first, second := pair[0], pair[1]
		for _, n := range []int{len(first), len(second)} {
			for k := 1; k < n; k++ {
				mix := make([]byte, n)
				copy(mix, first[:min(k, len(first))])
				copy(mix[min(k, len(first)):], second[min(k, len(second)):min(n, len(second))])
				if string(mix) == string(first[:min(n, len(first))]) || string(mix) == string(second[:min(n, len(second))]) {
					continue
				}
				if err := os.WriteFile(h.path, mix, 0o600); err != nil {
					t.Fatal(err)
				}
				if got := h.Load(); got.CIDR.IsValid() {
					t.Fatalf("a mix of two versions (%d bytes of one) loaded as %v rev %q", k, got.CIDR, got.Block.Rev)
				}
				mixes++
			}
		}
	}
	if mixes == 0 {
		t.Fatal("no mix tried")
	}
	for _, legacy := range []string{"10.244.5.0/26", `{"cidr":"10.244.5.0/26"}`} {
		if err := os.WriteFile(h.path, []byte(legacy), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := h.Load(); got.CIDR.IsValid() {
			t.Errorf("a hint without a checksum (%s) loaded as %v", legacy, got.CIDR)
		}
	}
}
