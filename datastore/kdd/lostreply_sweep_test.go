package kdd

import (
	"fmt"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/faultproxy"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
	"github.com/calico-win/cni/ipam"
)

// TestLostReplySweepIntegration loses the reply of each IPAM write in turn
// (reset, then timeout) during a lifecycle of three ADDs and three DELs,
// the runtime retrying as it does (a DEL after a failed ADD, a DEL again
// after a failed DEL). No address is ever held twice, and nothing leaks:
// after the ADDs, exactly the successful ADDs hold addresses, each with its
// handle; after the DELs, nothing is held and no affinity or block is
// orphaned.
func TestLostReplySweepIntegration(t *testing.T) {
	const writes = 14 // the lifecycle's writes: 4 for the claim, 2 per other ADD, 2 per DEL
	leaked := 0
	for _, fault := range []faultproxy.Fault{faultproxy.DropReply, faultproxy.HoldReply} {
		for n := 1; n <= writes; n++ {
			t.Run(fmt.Sprintf("%s/write %d", fault, n), func(t *testing.T) {
				srv := kastest.Shared(t)
				srv.PutNode(t, goldenHost, nil)
				srv.PutIPAMConfig(t, true, true, 0)
				srv.PutIPPool(t, datastore.IPPool{Name: "pool", CIDR: netip.MustParsePrefix("10.244.0.0/16")})
				p, kc := faultproxy.Start(t, srv.CNIKubeconfig(t))
				rule := &faultproxy.Rule{Writes: true, Path: regexp.MustCompile(`^/apis/crd\.projectcalico\.org/`), Nth: n, Fault: fault}
				p.Add(rule)
				s, err := New(Config{Config: k8s.Config{Kubeconfig: kc, Timeout: 500 * time.Millisecond}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				a := &ipam.Allocator{Store: s, Host: goldenHost}
				del := func(h string) {
					for try := 0; ; try++ {
						_, err := a.Release(testCtx(t), h)
						if err == nil {
							return
						}
						if try == 2 {
							t.Fatalf("DEL %s: %v", h, err)
						}
					}
				}
				held := map[netip.Addr]string{}
				var handles []string
				for i := range 3 {
					h := fmt.Sprintf("net.sandbox%d", i)
					asg, err := a.Assign(testCtx(t), ipam.Request{HandleID: h}, datastore.Query{})
					if err != nil {
						del(h) // the runtime's DEL of a failed ADD
						continue
					}
					if other, dup := held[asg.Addr]; dup {
						t.Errorf("%s given to %s and %s", asg.Addr, other, h)
					}
					held[asg.Addr] = h
					handles = append(handles, h)
				}
				ok := checkNoLeakQuiet(t, srv, len(handles))
				for _, h := range handles {
					del(h)
				}
				if !checkNoLeakQuiet(t, srv, 0) || !ok {
					leaked++
				}
				if rule.Fired() != 1 {
					t.Errorf("the fault fired %d times, want 1", rule.Fired())
				}
			})
		}
	}
	t.Logf("%d of %d lost replies left IPAM inconsistent", leaked, 2*writes)
}

// checkNoLeakQuiet is checkNoLeak, telling whether it passed.
func checkNoLeakQuiet(t *testing.T, srv *kastest.Server, held int) bool {
	t.Helper()
	failed := t.Failed()
	checkNoLeak(t, srv, held)
	return failed || !t.Failed()
}
