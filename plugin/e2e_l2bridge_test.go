//go:build !windows

package plugin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// What only BGP mode does with HNS fails in turn: the ADD fails with the
// right code, leaves nothing of the pod behind, and a retry works. An HNS
// that claims the host endpoint is attached when it is not (the attach
// "already attached" while it is not) shows as no interface for .2: try
// again later, not a broken node.
func TestL2BridgeHostFaultsIntegration(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		code   uint32
		cni    uint
		second bool // on the second ADD (the host endpoint exists by then)
		want   string
	}{
		{"HostNamespace", hns.ServiceStopping, 11, false, "host's namespace"},
		{"HostNamespace", hns.ErrorInvalidParameter, 104, false, "host's namespace"},
		{"AttachEndpoint", hns.NamespaceAttachFailed, 104, false, "attaching host endpoint Calico_ep"},
		{"AttachEndpoint", hns.EndpointAlreadyAttached, 11, false, "10.244.5.2"},
		{"GetNamespaceByID", hns.ServiceStopping, 11, true, "namespace of host endpoint Calico_ep"},
	} {
		t.Run(tc.kind+"/"+hns.CodeText(tc.code), func(t *testing.T) {
			t.Setenv(modeEnv, "windows-bgp")
			h := newHarness(t)
			bg := context.Background()
			first := pod("web-0", h.namespace())
			if tc.second {
				h.mustAdd(first)
			}
			if err := h.sim.InjectFault(bg, tc.kind, tc.code, 1); err != nil {
				t.Fatal(err)
			}
			rt := pod("web-1", h.namespace())
			_, err := h.add(rt)
			if code := cniCode(err); code != tc.cni || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ADD error %v: code %d, want %d and %q", err, code, tc.cni, tc.want)
			}
			if f, _ := h.sim.FaultState(bg); len(f.Armed) != 0 {
				t.Fatalf("the fault never fired: %+v", f.Armed)
			}
			if err := h.del(rt); err != nil {
				t.Fatalf("DEL after failed ADD: %v", err)
			}
			h.mustAdd(rt)
			h.checkHostEndpoint(t, h.network)
			for _, p := range []string{"web-0", "web-1"} {
				if err := h.del(pod(p, "")); err != nil {
					t.Fatal(err)
				}
			}
			h.leakCheck()
		})
	}
}

// STATUS on a node whose network was made for the other mode: code 50,
// naming both types; ADD would replace the network.
func TestStatusModeMismatchIntegration(t *testing.T) {
	for _, mode := range []string{"vxlan", "windows-bgp"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t)
			h.conf["mode"] = mode
			want := map[string]string{"vxlan": "needs Overlay", "windows-bgp": "needs L2Bridge"}[mode]
			err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0"))
			if h.mode == mode {
				if err != nil {
					t.Fatalf("STATUS in the harness's own mode: %v", err)
				}
				return
			}
			if cniCode(err) != 50 || !strings.Contains(err.Error(), want) {
				t.Fatalf("STATUS in %s mode on a %s network: %v, want code 50 %q", mode, h.network.Type, err, want)
			}
		})
	}
}
