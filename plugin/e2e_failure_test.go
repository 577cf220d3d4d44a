//go:build !windows

package plugin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/calico-win/cni/hns"
)

// Every HNS step fails in turn; the ADD must fail with the right code and
// leave nothing behind.
func TestAddFaultInjectionLeavesNothingIntegration(t *testing.T) {
	for _, tc := range []struct {
		kind string
		code uint32
		cni  uint
	}{
		{"GetNetworkByName", hns.ServiceStopping, 11},
		{"GetEndpointByName", hns.ServiceStopping, 11},
		{"CreateEndpoint", hns.InvalidPolicy, 104},
		{"CreateEndpoint", hns.AddrInvalidOrReserved, 104},
		{"AttachEndpoint", hns.NamespaceAttachFailed, 104},
		{"AttachEndpoint", hns.ErrorNotFound, 104},
	} {
		t.Run(tc.kind+"/"+hns.CodeText(tc.code), func(t *testing.T) {
			h := newHarness(t)
			if err := h.sim.InjectFault(context.Background(), tc.kind, tc.code, 1); err != nil {
				t.Fatal(err)
			}
			rt := pod("web-0", h.namespace())
			_, err := h.add(rt)
			if code := cniCode(err); code != tc.cni {
				t.Fatalf("ADD error %v: code %d, want %d", err, code, tc.cni)
			}
			h.leakCheck()
			// The runtime's DEL after a failed ADD succeeds, and a retry works.
			if err := h.del(rt); err != nil {
				t.Fatalf("DEL after failed ADD: %v", err)
			}
			h.mustAdd(rt)
			if err := h.del(rt); err != nil {
				t.Fatal(err)
			}
			h.leakCheck()
		})
	}
}

func TestHNSStoppedIsTryAgainIntegration(t *testing.T) {
	h := newHarness(t)
	rt, rt2 := pod("web-0", h.namespace()), pod("web-1", h.namespace())
	if err := h.sim.StopService(context.Background(), hns.ServiceStopping); err != nil {
		t.Fatal(err)
	}
	_, err := h.add(rt)
	if cniCode(err) != 11 {
		t.Fatalf("ADD with HNS stopped: %v, want code 11", err)
	}
	h.leakCheck()
	// DEL cannot reach HNS either: it must fail (and be retried), not claim success.
	h.sim.StartService(context.Background())
	h.mustAdd(rt2)
	h.sim.StopService(context.Background(), hns.ServiceStopping)
	if err := h.del(rt2); cniCode(err) != 11 {
		t.Fatalf("DEL with HNS stopped: %v, want code 11 (retry), not success", err)
	}
	h.sim.StartService(context.Background())
	if err := h.del(rt2); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

func TestEtcdDownFailsFastIntegration(t *testing.T) {
	h := newHarness(t)
	h.conf["etcd_endpoints"] = "http://127.0.0.1:1" // nothing listens there
	start := time.Now()
	_, err := h.add(pod("web-0", h.namespace()))
	if cniCode(err) != 11 || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("ADD with etcd down: %v, want code 11 naming the endpoint", err)
	}
	if d := time.Since(start); d > 12*time.Second {
		t.Fatalf("took %s, want a bounded failure", d)
	}
	h.leakCheck()
}

func TestNotReadyIntegration(t *testing.T) {
	h := newHarness(t)
	notReady := false
	h.etcd.PutClusterInformation(t, &notReady)
	_, err := h.add(pod("web-0", h.namespace()))
	if cniCode(err) != 11 || !strings.Contains(err.Error(), "Calico is currently not ready to process requests") {
		t.Fatalf("ADD while not ready: %v", err)
	}
	h.etcd.PutClusterInformation(t, nil) // the field absent: an error, not a panic
	_, err = h.add(pod("web-0", h.namespace()))
	if cniCode(err) != 11 || !strings.Contains(err.Error(), "datastoreReady") {
		t.Fatalf("ADD with no datastoreReady: %v", err)
	}
	h.leakCheck()
}

func TestStrictAffinityOffIntegration(t *testing.T) {
	h := newHarness(t)
	h.etcd.PutIPAMConfig(t, false, true, 0)
	_, err := h.add(pod("web-0", h.namespace()))
	if cniCode(err) != 102 || !strings.Contains(err.Error(), "global strict affinity should not be false for Windows node") {
		t.Fatalf("ADD: %v", err)
	}
	h.leakCheck()
}

// Bad input: a clear error naming the key or cause, the right code, nothing written.
func TestBadInputIntegration(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(h *harness, rt *libcni.RuntimeConf)
		code uint
		msg  string
	}{
		{"vni below 4096", func(h *harness, _ *libcni.RuntimeConf) { h.conf["vxlan_vni"] = 4095 }, 7, "Windows does not support VXLANVNI < 4096"},
		{"mac prefix", func(h *harness, _ *libcni.RuntimeConf) { h.conf["vxlan_mac_prefix"] = "0E2A" }, 7, "vxlan_mac_prefix"},
		{"mode", func(h *harness, _ *libcni.RuntimeConf) { h.conf["mode"] = "bgp" }, 7, `mode "bgp"`},
		{"exception cidr", func(h *harness, _ *libcni.RuntimeConf) {
			h.conf["policies"] = []any{map[string]any{"name": "EndpointPolicy", "value": map[string]any{"Type": "OutBoundNAT", "ExceptionList": []string{"10.96.0.0/33"}}}}
		}, 7, "policies[0].value.ExceptionList"},
		{"route prefix", func(h *harness, _ *libcni.RuntimeConf) {
			h.conf["policies"] = []any{map[string]any{"name": "EndpointPolicy", "value": map[string]any{"Type": "SDNROUTE", "DestinationPrefix": "svc-cidr"}}}
		}, 7, "DestinationPrefix"},
		{"etcd endpoint", func(h *harness, _ *libcni.RuntimeConf) { h.conf["etcd_endpoints"] = "127.0.0.1:2379" }, 7, "etcd_endpoints"},
		{"dockershim netns", func(_ *harness, rt *libcni.RuntimeConf) { rt.NetNS = "none" }, 4, "CNI_NETNS"},
		{"not a guid", func(_ *harness, rt *libcni.RuntimeConf) { rt.NetNS = "/var/run/netns/test" }, 4, "HCN namespace GUID"},
		{"IP arg", func(_ *harness, rt *libcni.RuntimeConf) { rt.Args = append(rt.Args, [2]string{"IP", "10.244.5.999"}) }, 4, "IP="},
		{"IP reserved", func(_ *harness, rt *libcni.RuntimeConf) { rt.Args = append(rt.Args, [2]string{"IP", "10.244.5.1"}) }, 4, "reserved"},
		{"unknown pool", func(h *harness, _ *libcni.RuntimeConf) {
			h.conf["ipam"] = map[string]any{"type": "calico-ipam", "ipv4_pools": []string{"nope"}}
		}, 7, `"nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			rt := pod("web-0", h.namespace())
			tc.edit(h, rt)
			_, err := h.add(rt)
			if cniCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ADD: %v (code %d), want code %d mentioning %q", err, cniCode(err), tc.code, tc.msg)
			}
			h.leakCheck()
		})
	}
}

// HNS recreated the network (reboot, calico-node restart): the pod's old
// endpoint points at a network ID that is gone; a new ADD replaces it.
func TestNetworkRecreatedReplacesStaleEndpointIntegration(t *testing.T) {
	h := newHarness(t)
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	old, _ := h.sim.GetEndpointByName(context.Background(), "cid-web-0_Calico")
	// Recreate the network without cascading, so the old endpoint survives
	// pointing at the old ID, as after a reboot with a persistent endpoint.
	if err := h.sim.DeleteNetwork(context.Background(), h.network.Id); err != nil {
		t.Fatal(err)
	}
	n, err := h.setupNetwork(context.Background(), h.block, 0)
	if err != nil {
		t.Fatal(err)
	}
	rt2 := pod("web-0", h.namespace())
	res := h.mustAdd(rt2)
	ep, err := h.sim.GetEndpointByName(context.Background(), "cid-web-0_Calico")
	if err != nil || !strings.EqualFold(ep.HostComputeNetwork, n.Id) || ep.Id == old.Id || res.IPs[0].Address.IP.String() != "10.244.5.3" {
		t.Fatalf("after re-ADD: %+v, %v", ep, err)
	}
	if err := h.del(rt2); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// A leaked endpoint of ours holding the address IPAM hands out again is
// removed; a remote endpoint holding it is reported, never deleted.
func TestAddressConflictsIntegration(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	leak, err := h.sim.CreateEndpoint(ctx, &hns.Endpoint{Name: "cid-leaked_Calico", HostComputeNetwork: h.network.Id,
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.3"}}})
	if err != nil {
		t.Fatal(err)
	}
	rt := pod("web-0", h.namespace())
	res := h.mustAdd(rt)
	if res.IPs[0].Address.IP.String() != "10.244.5.3" {
		t.Fatalf("got %v", res.IPs[0])
	}
	if _, err := h.sim.GetEndpointByID(ctx, leak.Id); !hns.IsNotFound(err) {
		t.Fatalf("leaked endpoint still there: %v", err)
	}
	// Next address, .4, is held by a remote endpoint (another node's pod).
	if _, err := h.sim.CreateEndpoint(ctx, &hns.Endpoint{Name: "remote", HostComputeNetwork: h.network.Id, Flags: hns.EndpointFlagRemote,
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.4"}}}); err != nil {
		t.Fatal(err)
	}
	rt2 := pod("web-1", h.namespace())
	if _, err := h.add(rt2); err == nil || !strings.Contains(err.Error(), `"remote"`) {
		t.Fatalf("ADD over a remote endpoint's address: %v", err)
	}
	if _, err := h.sim.GetEndpointByName(ctx, "remote"); err != nil {
		t.Fatal("the remote endpoint was deleted")
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// readiness_gates: a gate that is not ready fails the ADD at once with
// "try again later" (Calico waits up to 30 s inside the ADD).
func TestReadinessGatesIntegration(t *testing.T) {
	h := newHarness(t)
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	h.conf["readiness_gates"] = []string{srv.URL + "/ready"}
	rt := pod("web-0", h.namespace())
	start := time.Now()
	_, err := h.add(rt)
	if cniCode(err) != 11 || !strings.Contains(err.Error(), "503") || time.Since(start) > 5*time.Second {
		t.Fatalf("ADD with a gate not ready: %v (after %s)", err, time.Since(start))
	}
	h.leakCheck()
	ready.Store(true)
	h.mustAdd(rt)
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}
