package dataplane

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

func TestNamespaceMissing(t *testing.T) {
	ctx := context.Background()
	dp, s := newOverlayDataplane(t, true)
	ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
	if err != nil {
		t.Fatal(err)
	}
	block := netip.MustParsePrefix("10.244.5.0/26")
	n, mgmt, err := dp.EnsureNetwork(ctx, block)
	if err != nil {
		t.Fatal(err)
	}
	const gone = "0D2CE1A3-7C55-4B8C-9F2B-7A1D3E5F6A7B"
	// What AttachPod answers for a namespace that does not exist.
	_, _, attachErr := dp.AttachPod(ctx, n, mgmt, Pod{ContainerID: "abc", NamespaceID: gone,
		Addr: netip.MustParseAddr("10.244.5.3"), Block: block})
	if !hns.IsNotFound(attachErr) {
		t.Fatalf("AttachPod into no namespace: %v, want HNS's not found", attachErr)
	}
	tests := []struct {
		name  string
		nsID  string
		err   error
		fault string // a call that fails once with HNS stopping
		want  bool
	}{
		{"no such namespace", gone, attachErr, "", true},
		{"the namespace exists", strings.ToUpper(ns.Id), attachErr, "", false},
		{"another error", gone, errors.New("attach failed"), "", false},
		{"the lookup fails", gone, attachErr, "GetNamespaceByID", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != "" {
				if err := s.InjectFault(ctx, tc.fault, hns.ServiceStopping, 1); err != nil {
					t.Fatal(err)
				}
			}
			if got := dp.NamespaceMissing(ctx, tc.nsID, tc.err); got != tc.want {
				t.Errorf("NamespaceMissing = %v, want %v", got, tc.want)
			}
		})
	}
}
