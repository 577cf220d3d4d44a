//go:build !windows

package plugin_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/calico-win/cni/hns"
)

// Many pod lifecycles with an HNS fault armed at a random step each time:
// whatever fails, the runtime's DELs (retried until they succeed, as
// kubelet does) must leave no endpoint, handle, allocation or
// WorkloadEndpoint behind, and every successful ADD must have a unique,
// working address.
func TestRandomFaultsNeverLeakIntegration(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { randomFaults(t, seed) })
	}
}

// faultKinds are the HNS calls a fault is armed on ("": none), faultCodes
// the codes it fails with.
var (
	faultKinds = []string{"GetNetworkByName", "GetEndpointByName", "GetEndpointByID", "CreateEndpoint", "AttachEndpoint",
		"DetachEndpoint", "DeleteEndpoint", "GetNetworkByID", "ListEndpointsOfNetwork", "CreateNetwork", ""}
	faultCodes = []uint32{hns.ServiceStopping, hns.InvalidPolicy, hns.NamespaceAttachFailed, hns.ErrorNotFound,
		hns.AddrInvalidOrReserved, hns.RequestUnsupported, hns.EndpointNotAttached, hns.EndpointNotFound}
)

func randomFaults(t *testing.T, chaosSeed uint64) {
	h := newHarness(t)
	rng := rand.New(rand.NewPCG(chaosSeed, 2)) // fixed seed: a failure is reproducible
	kinds, codes := faultKinds, faultCodes
	bg := context.Background()
	failedAdds := 0
	for i := 0; i < 40; i++ {
		kind, code := kinds[rng.IntN(len(kinds))], codes[rng.IntN(len(codes))]
		if kind != "" {
			if err := h.sim.InjectFault(bg, kind, code, 1+rng.IntN(2)); err != nil {
				t.Fatal(err)
			}
		}
		rt := pod(fmt.Sprintf("chaos-%02d", i), h.namespace())
		if _, err := h.add(rt); err != nil {
			failedAdds++
		}
		// Kubelet's DEL, retried until it succeeds; the faults are spent or cleared.
		for attempt := 0; ; attempt++ {
			err := h.del(rt)
			if err == nil {
				break
			}
			if attempt == 3 {
				t.Logf("pod %d: fault %s 0x%x", i, kind, code)
				t.Fatalf("pod %d (fault %s 0x%x): DEL keeps failing: %v", i, kind, code, err)
			}
			h.sim.ClearFaults(bg)
		}
		h.sim.ClearFaults(bg)
	}
	t.Logf("%d of 40 ADDs failed under injected faults", failedAdds)
	if failedAdds == 0 {
		t.Fatal("no fault took effect: the test exercised nothing")
	}
	h.leakCheck()
}
