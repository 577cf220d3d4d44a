package sim

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
)

func drMACOf(n *hns.Network) string {
	for _, p := range n.Policies {
		if p.Type == "DrMacAddress" {
			var s struct{ Address string }
			json.Unmarshal(p.Settings, &s)
			return s.Address
		}
	}
	return ""
}

// An Overlay network reports its DR MAC (the node's VTEP MAC) with its
// management IP, as HNS does: stable for the network, new for a recreated
// one, in the Hyper-V range.
func TestOverlayReportsDrMac(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	s, err := Open(tempDir(t), WithManagementIPDelay(time.Second), WithClock(clock.now))
	check(t, "Open", err)
	ctx := context.Background()
	spec := OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.5.0/26"), ManagementIP: netip.MustParseAddr("10.0.0.4")}
	n, err := s.SetupOverlay(ctx, spec, time.Second)
	check(t, "SetupOverlay", err)
	if got, _ := s.GetNetworkByName(ctx, "Calico"); drMACOf(got) != "" {
		t.Fatalf("DR MAC before the management IP: %s", drMACOf(got))
	}
	clock.advance(2 * time.Second)
	got, err := s.GetNetworkByName(ctx, "Calico")
	check(t, "GetNetworkByName", err)
	mac := drMACOf(got)
	if hw, err := net.ParseMAC(mac); err != nil || !strings.HasPrefix(mac, "00-15-5D-") || len(hw) != 6 {
		t.Fatalf("DR MAC %q: %v", mac, err)
	}
	if again, _ := s.GetNetworkByID(ctx, n.Id); drMACOf(again) != mac {
		t.Fatalf("DR MAC changed between reads: %s, %s", mac, drMACOf(again))
	}
	check(t, "DeleteNetwork", s.DeleteNetwork(ctx, n.Id))
	_, err = s.SetupOverlay(ctx, spec, time.Second)
	check(t, "SetupOverlay again", err)
	clock.advance(2 * time.Second)
	if re, _ := s.GetNetworkByName(ctx, "Calico"); drMACOf(re) == mac || drMACOf(re) == "" {
		t.Fatalf("recreated network's DR MAC %q, the old one was %q", drMACOf(re), mac)
	}
}
