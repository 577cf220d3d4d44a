//go:build !windows

package plugin_test

// Issue 10 item 15: STATUS answers 50 for a config that ADD refuses.

import (
	"maps"
	"testing"
)

func TestStatusRefusedConfigIntegration(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) *harness{"etcd": newHarness, "kdd": newKDDHarness} {
		t.Run(name, func(t *testing.T) {
			h := mk(t)
			base := maps.Clone(h.conf)
			for _, tc := range []struct {
				name string
				set  map[string]any
			}{
				{"unknown mode", map[string]any{"mode": "ipip"}},
				{"no IPv4", map[string]any{"ipam": map[string]any{"type": "calico-ipam", "assign_ipv4": "false"}}},
			} {
				h.conf = maps.Clone(base)
				maps.Copy(h.conf, tc.set)
				if _, err := h.add(pod("web-0", h.namespace())); cniCode(err) != 7 {
					t.Fatalf("%s: ADD: %v, want code 7", tc.name, err)
				}
				if err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0")); cniCode(err) != 50 || !contains(err, "invalid network config") {
					t.Fatalf("%s: STATUS: %v, want code 50", tc.name, err)
				}
			}
			h.conf = base
			if err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0")); err != nil {
				t.Fatalf("STATUS of the good config: %v", err)
			}
			h.leakCheck()
		})
	}
}
