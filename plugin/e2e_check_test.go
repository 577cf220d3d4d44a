//go:build !windows

package plugin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// CHECK names each way the pod's networking can drift from prevResult.
func TestCheckMismatchesIntegration(t *testing.T) {
	for _, tc := range []struct {
		name  string
		drift func(h *harness, ep *hns.Endpoint)
		want  string
	}{
		{"endpoint deleted", func(h *harness, ep *hns.Endpoint) { h.sim.DeleteEndpoint(context.Background(), ep.Id) }, "HNS endpoint cid-web-0_Calico"},
		{"endpoint detached", func(h *harness, ep *hns.Endpoint) {
			h.sim.DetachEndpoint(context.Background(), ep.HostComputeNamespace, ep.Id)
		}, "not to CNI_NETNS"},
		{"network recreated", func(h *harness, _ *hns.Endpoint) {
			bg := context.Background()
			n, _ := h.sim.GetNetworkByName(bg, "Calico")
			h.sim.DeleteNetwork(bg, n.Id)
			h.setupNetwork(bg, h.block, 0)
		}, "HNS endpoint"},
		{"WEP deleted", func(h *harness, _ *hns.Endpoint) {
			h.etcd.Delete(h.t, "/calico/resources/v3/projectcalico.org/workloadendpoints/default/win--1-k8s-web--0-eth0")
		}, "WorkloadEndpoint default/win--1-k8s-web--0-eth0 does not exist"},
		{"IPAM handle gone", func(h *harness, _ *hns.Endpoint) {
			h.etcd.Delete(h.t, "/calico/ipam/v2/handle/Calico.cid-web-0")
		}, "IPAM handle Calico.cid-web-0 holds no address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			rt := pod("web-0", h.namespace())
			h.mustAdd(rt)
			ep, err := h.sim.GetEndpointByName(context.Background(), "cid-web-0_Calico")
			if err != nil {
				t.Fatal(err)
			}
			tc.drift(h, ep)
			err = h.cni.CheckNetworkList(ctx(t), h.list("1.1.0"), rt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CHECK after %s: %v, want %q", tc.name, err, tc.want)
			}
		})
	}
}

// The runtime's DNS (the dns capability) wins over the conf's (Calico FV case 14).
func TestRuntimeDNSWinsIntegration(t *testing.T) {
	h := newHarness(t)
	rt := pod("web-0", h.namespace())
	rt.CapabilityArgs = map[string]any{"dns": map[string]any{"servers": []string{"10.96.0.11"}, "searches": []string{"default.svc.cluster.local"}, "options": []string{"ndots:5"}}}
	res := h.mustAdd(rt)
	ep, err := h.sim.GetEndpointByName(context.Background(), "cid-web-0_Calico")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ep.Dns.ServerList, ",") != "10.96.0.11" || strings.Join(ep.Dns.Search, ",") != "default.svc.cluster.local" ||
		strings.Join(ep.Dns.Options, ",") != "ndots:5" || strings.Join(res.DNS.Nameservers, ",") != "10.96.0.11" {
		t.Fatalf("endpoint DNS %+v, result DNS %+v", ep.Dns, res.DNS)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}
