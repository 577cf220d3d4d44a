package dataplane

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/testdir"
)

// RemovePod trusts "not found" only when a second, independent lookup
// agrees; on a network per block, the blocks name where to look.
func TestRemovePodConfirmsNotFound(t *testing.T) {
	block := netip.MustParsePrefix("10.244.5.0/26")
	for _, tc := range []struct {
		name   string
		single bool
		blocks []netip.Prefix
		faults map[string]int // kind -> one-shot 0x490 faults
		want   error          // nil: removed
	}{
		{name: "single network", single: true, faults: map[string]int{sim.KindGetEndpointByName: 1}},
		{name: "network per block", blocks: []netip.Prefix{block}, faults: map[string]int{sim.KindGetEndpointByName: 1}},
		{name: "no block known: asked by name again", faults: map[string]int{sim.KindGetEndpointByName: 1}},
		{name: "no block known, twice not found: trusted", faults: map[string]int{sim.KindGetEndpointByName: 2}, want: errKept},
		{name: "list not found", single: true, want: ErrUnconfirmed,
			faults: map[string]int{sim.KindGetEndpointByName: 1, sim.KindListEndpointsOfNetwork: 1}},
		{name: "delete not found", single: true, want: ErrUnconfirmed, faults: map[string]int{sim.KindDeleteEndpoint: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testdir.New(t)
			s, err := sim.Open(filepath.Join(dir, "hns"), sim.WithHostAddress("10.0.0.4"))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			dp := New(s, Options{Name: "Calico", SingleNetwork: tc.single, Mode: Overlay(4096, "0E-2A"),
				LockPath: filepath.Join(dir, "hns-network.lock")})
			n, mgmt, err := dp.EnsureNetwork(ctx, block)
			if err != nil {
				t.Fatal(err)
			}
			ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := dp.AttachPod(ctx, n, mgmt, Pod{ContainerID: "abc", NamespaceID: ns.Id,
				Addr: netip.MustParseAddr("10.244.5.3"), Block: block}); err != nil {
				t.Fatal(err)
			}
			for kind, count := range tc.faults {
				if err := s.InjectFault(ctx, kind, hns.ErrorNotFound, count); err != nil {
					t.Fatal(err)
				}
			}
			err = dp.RemovePod(ctx, "abc", tc.blocks)
			_, gerr := s.GetEndpointByName(ctx, "abc_Calico")
			switch {
			case tc.want == errKept:
				// Two lookups by name agreed: the endpoint stays, unseen.
				// (HNS would have to fail the same way twice in a row.)
				if err != nil || gerr != nil {
					t.Fatalf("RemovePod: %v; endpoint: %v", err, gerr)
				}
			case tc.want != nil:
				if !errors.Is(err, tc.want) || gerr != nil {
					t.Fatalf("RemovePod: %v, want %v with the endpoint kept (lookup: %v)", err, tc.want, gerr)
				}
			default:
				if err != nil || !hns.IsNotFound(gerr) {
					t.Fatalf("RemovePod: %v; endpoint still there: %v", err, gerr)
				}
			}
		})
	}
}

// errKept marks a case where RemovePod succeeds and the endpoint stays.
var errKept = errors.New("kept")
