//go:build !windows

package plugin_test

import (
	"context"
	"testing"

	"github.com/calico-win/cni/hns"
)

// "Not found" from one HNS call during DEL is a claim, not a fact (HNS
// answers 0x490 while restarting, for one): the address is released only
// once a second, independent lookup agrees the endpoint is gone. An
// endpoint left behind would hold the address IPAM gives the next pod.
func TestDelNotFoundIsConfirmedIntegration(t *testing.T) {
	type fault struct {
		kind string
		code uint32
	}
	for _, tc := range []struct {
		name   string
		faults []fault
		// delFails: the first DEL cannot confirm and must fail (the runtime
		// retries), keeping the endpoint's address; else it removes all.
		delFails bool
	}{
		{name: "lookup by name", faults: []fault{{"GetEndpointByName", hns.ErrorNotFound}}},
		{name: "lookup by name, endpoint code", faults: []fault{{"GetEndpointByName", hns.EndpointNotFound}}},
		{name: "lookup by name and the network's list", delFails: true,
			faults: []fault{{"GetEndpointByName", hns.ErrorNotFound}, {"ListEndpointsOfNetwork", hns.ErrorNotFound}}},
		{name: "lookup by name, then HNS stopping", delFails: true,
			faults: []fault{{"GetEndpointByName", hns.ErrorNotFound}, {"GetNetworkByName", hns.ServiceStopping}}},
		{name: "delete", delFails: true, faults: []fault{{"DeleteEndpoint", hns.ErrorNotFound}}},
		// A detach "not found" goes on to the delete, whose answer counts.
		{name: "detach", faults: []fault{{"DetachEndpoint", hns.ErrorNotFound}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			rt := pod("web-0", h.namespace())
			h.mustAdd(rt)
			for _, f := range tc.faults {
				if err := h.sim.InjectFault(ctx, f.kind, f.code, 1); err != nil {
					t.Fatal(err)
				}
			}
			err := h.del(rt)
			switch {
			case tc.delFails && err == nil:
				t.Fatal("DEL succeeded although HNS could not confirm the endpoint was gone")
			case tc.delFails && cniCode(err) != 11:
				t.Errorf("DEL: %v, want code 11 (try again)", err)
			case !tc.delFails && err != nil:
				t.Fatalf("DEL: %v", err)
			}
			// Whatever DEL did: an endpoint that still exists keeps its address.
			ep, gerr := h.sim.GetEndpointByName(ctx, rt.ContainerID+"_Calico")
			switch {
			case gerr == nil:
				if !h.handleHeld("Calico." + rt.ContainerID) {
					t.Fatalf("address released while endpoint %s (%v) still holds it", ep.Name, ep.IpConfigurations)
				}
			case !hns.IsNotFound(gerr):
				t.Fatal(gerr)
			}
			if tc.delFails {
				if gerr != nil {
					t.Fatalf("the failed DEL removed the endpoint (%v); the case should keep it", gerr)
				}
				if err := h.del(rt); err != nil {
					t.Fatalf("retried DEL: %v", err)
				}
			}
			h.leakCheck()
			h.mustAdd(pod("web-1", h.namespace()))
		})
	}
}

// handleHeld reports whether the IPAM handle id exists on the etcd datastore
// (and so holds its addresses).
func (h *harness) handleHeld(id string) bool {
	h.t.Helper()
	_, ok := h.etcd.Get(h.t, "/calico/ipam/v2/handle/"+id)
	return ok
}
