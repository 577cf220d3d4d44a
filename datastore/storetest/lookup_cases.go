package storetest

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/calico-win/cni/datastore"
)

func testBlocksExist(t *testing.T, s datastore.Store, _ Seeder) {
	commit(t, s, datastore.Change{Blocks: []datastore.Write[datastore.Block]{
		create(newBlock(blockA, "node1")), create(newBlock(blockC, "node2")),
	}})
	// Every /26 of 10.244.0.0/16: more CIDRs than one request may carry.
	var wholePool []netip.Prefix
	for i := range 1024 {
		wholePool = append(wholePool, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i / 4), byte(i % 4 * 64)}), 26))
	}
	for _, tc := range []struct {
		name  string
		cidrs []netip.Prefix
	}{
		{"none", nil},
		{"some", []netip.Prefix{blockA, blockB, blockC}},
		{"whole pool", wholePool},
	} {
		got, err := s.BlocksExist(ctx(t), tc.cidrs)
		if err != nil {
			t.Fatalf("%s: BlocksExist: %v", tc.name, err)
		}
		if len(got) != len(tc.cidrs) {
			t.Fatalf("%s: %d answers for %d CIDRs", tc.name, len(got), len(tc.cidrs))
		}
		for i, c := range tc.cidrs {
			if want := c == blockA || c == blockC; got[i] != want {
				t.Errorf("%s: BlocksExist(%s) = %v, want %v", tc.name, c, got[i], want)
			}
		}
	}
}

func testListHandleIDs(t *testing.T, s datastore.Store, _ Seeder) {
	ids := []string{
		"k8s-pod-network.abc1", "k8s-pod-network.abc2", "k8s-pod-network.xyz",
		"K8s-Pod-Network.Upper", "other.abc1", "anchor-net.cnitool-f55c318bb8881d9c18d6",
	}
	var ws []datastore.Write[datastore.Handle]
	for _, id := range ids {
		ws = append(ws, create(newHandle(id, map[string]int{blockA.String(): 1})))
	}
	commit(t, s, datastore.Change{Handles: ws})
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"k8s-pod-network.abc", []string{"k8s-pod-network.abc1", "k8s-pod-network.abc2"}},
		{"K8s-Pod-Network.", []string{"K8s-Pod-Network.Upper"}}, // case is kept, not folded
		{"nothing", nil},
		{"", ids},
	} {
		got, err := s.ListHandleIDs(ctx(t), tc.prefix)
		if err != nil {
			t.Fatalf("ListHandleIDs(%q): %v", tc.prefix, err)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if len(got) != 0 || len(want) != 0 {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ListHandleIDs(%q) = %q, want %q", tc.prefix, got, want)
			}
		}
	}
}
