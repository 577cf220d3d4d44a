//go:build !windows

package plugin_test

// Issue 10 item 12: calico-ipam never requires the nodename file, as
// Calico's calico-ipam (DetermineNodename reads it when it is there); the
// main plugin still waits for it (code 11), as Calico's.

import (
	"path/filepath"
	"testing"
)

func TestIPAMWithoutNodenameFileIntegration(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) *harness{"etcd": newHarness, "kdd": newKDDHarness} {
		t.Run(name, func(t *testing.T) {
			h := mk(t)
			h.conf["nodename_file_optional"] = false
			h.conf["nodename_file"] = filepath.Join(t.TempDir(), "missing", "nodename")

			rt := pod("web-0", h.namespace())
			if h.kas != nil {
				rt = h.kubePod("web-0", nil)
			}
			if _, err := h.add(rt); cniCode(err) != 11 || !contains(err, "check that the calico/node container is running") {
				t.Fatalf("main plugin ADD without the nodename file: %v, want code 11", err)
			}
			if err := h.del(rt); cniCode(err) != 11 {
				t.Fatalf("main plugin DEL without the nodename file: %v, want code 11", err)
			}

			l := h.ipamList()
			ipamRT := pod("ipam-0", "11111111-2222-3333-4444-555555555555")
			if _, err := h.cni.AddNetworkList(ctx(t), l, ipamRT); err != nil {
				t.Fatalf("calico-ipam ADD without the nodename file: %v", err)
			}
			if err := h.cni.CheckNetworkList(ctx(t), l, ipamRT); err != nil {
				t.Fatalf("calico-ipam CHECK without the nodename file: %v", err)
			}
			if err := h.cni.DelNetworkList(ctx(t), l, ipamRT); err != nil {
				t.Fatalf("calico-ipam DEL without the nodename file: %v", err)
			}
			h.leakCheck()
		})
	}
}
