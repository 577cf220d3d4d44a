package dataplane

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

func TestNetworkSubnets(t *testing.T) {
	ctx := context.Background()
	dp, _ := newOverlayDataplane(t, true)
	block := netip.MustParsePrefix("10.244.5.0/26")
	if _, _, err := dp.NetworkSubnets(ctx, block); !errors.Is(err, ErrNetworkGone) || !hns.IsNotFound(err) {
		t.Fatalf("before the network exists: %v, want ErrNetworkGone", err)
	}
	if _, _, err := dp.EnsureNetwork(ctx, block); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		block string
		has   bool
	}{
		{"10.244.5.0/26", true},
		{"10.244.5.64/26", false}, // the single network is another block's
		{"10.244.5.0/27", false},
	}
	for _, tc := range tests {
		subnets, has, err := dp.NetworkSubnets(ctx, netip.MustParsePrefix(tc.block))
		if err != nil || has != tc.has || !slices.Equal(subnets, []string{"10.244.5.0/26"}) {
			t.Errorf("NetworkSubnets(%s) = %v, %v, %v; want [10.244.5.0/26], %v", tc.block, subnets, has, err, tc.has)
		}
	}
}

func TestNetworkSubnetsLookupFails(t *testing.T) {
	ctx := context.Background()
	dp, s := newOverlayDataplane(t, true)
	if err := s.InjectFault(ctx, "GetNetworkByName", hns.ServiceStopping, 1); err != nil {
		t.Fatal(err)
	}
	_, _, err := dp.NetworkSubnets(ctx, netip.MustParsePrefix("10.244.5.0/26"))
	if errors.Is(err, ErrNetworkGone) || hns.Code(err) != hns.ServiceStopping || !strings.HasPrefix(err.Error(), "looking up HNS network Calico: ") {
		t.Errorf("err = %v, want HNS's failure", err)
	}
}

func TestDRMAC(t *testing.T) {
	ctx := context.Background()
	dp, _ := newOverlayDataplane(t, true)
	n, _, err := dp.EnsureNetwork(ctx, netip.MustParsePrefix("10.244.5.0/26"))
	if err != nil {
		t.Fatal(err)
	}
	// The simulator reports an overlay network's DR MAC as HNS does.
	if mac, err := DRMAC(n); err != nil || len(mac) != 6 {
		t.Errorf("DRMAC of the simulator's network = %v, %v", mac, err)
	}
	policy := func(settings string) hns.Policy { return hns.Policy{Type: "drmacaddress", Settings: []byte(settings)} }
	tests := []struct {
		name     string
		policies []hns.Policy
		want     string // the MAC, or the start of the error
	}{
		{"HNS's form", []hns.Policy{policy(`{"Address":"00-15-5D-52-C0-3A"}`)}, "00:15:5d:52:c0:3a"},
		{"after other policies", []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: "10.0.0.4"}),
			policy(`{"Address":"00:15:5d:52:c0:3b"}`)}, "00:15:5d:52:c0:3b"},
		{"none", []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: "10.0.0.4"})},
			"HNS network Calico reports no DR MAC (DrMacAddress policy)"},
		{"bad settings", []hns.Policy{policy(`[1]`)}, "HNS network Calico: DrMacAddress policy [1]: json: "},
		{"bad MAC", []hns.Policy{policy(`{"Address":"nope"}`)}, `HNS network Calico: DR MAC "nope": `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mac, err := DRMAC(&hns.Network{Name: "Calico", Policies: tc.policies})
			got := mac.String()
			if err != nil {
				got = err.Error()
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("DRMAC = %q, want %q", got, tc.want)
			}
		})
	}
}
