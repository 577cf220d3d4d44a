//go:build !windows

package plugin_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/internal/etcdtest"
)

// The etcd-cluster campaign: pods start, through the built binaries with
// every member in etcd_endpoints, while one member of a real 3-member
// cluster (a follower, then the leader) is stopped with SIGSTOP (it still
// accepts connections and never answers), killed, and restarted, both
// before the ADDs start and while they run. With the member down before
// they start, every ADD succeeds; caught by the outage, an ADD succeeds, or
// fails with code 11 leaving nothing of its pod behind; retried once the member
// is back, it succeeds. No address is ever held twice, and once the pods
// are deleted nothing is left.
func TestEtcdClusterOutagesIntegration(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	h := &harness{t: t, etcd: c.Member(0), block: netip.MustParsePrefix("10.244.5.0/26")}
	seed(t, h)
	h.setup(t)
	h.onEtcd(strings.Join(c.Endpoints(), ","))

	type outage struct {
		name          string
		leader        bool
		down, restore func(t testing.TB, i int)
	}
	kill := func(t testing.TB, i int) { c.Kill(t, i) }
	outages := []outage{
		{"SIGSTOP follower", false, c.Pause, c.Resume},
		{"SIGSTOP leader", true, c.Pause, c.Resume},
		{"kill follower", false, kill, c.Restart},
		{"kill leader", true, kill, c.Restart},
	}
	var live []*libcni.RuntimeConf
	addrs := map[string]string{} // address -> container
	failed, retried, n := 0, 0, 0
	for _, o := range outages {
		for _, during := range []bool{false, true} {
			leader := c.Leader(t)
			target := (leader + 1) % c.Len()
			if o.leader {
				target = leader
			}
			healthy := c.Member((target + 1) % c.Len())
			h.etcd = healthy
			// The member that goes down first in the list: the worst case.
			eps := c.Endpoints()
			h.conf["etcd_endpoints"] = strings.Join(append([]string{eps[target]}, append(eps[:target:target], eps[target+1:]...)...), ",")

			const pods = 4
			rts := make([]*libcni.RuntimeConf, pods)
			for i := range rts {
				n++
				rts[i] = pod(fmt.Sprintf("ec-%03d", n), h.namespace())
			}
			if !during {
				o.down(t, target)
			}
			errs := make([]error, pods)
			results := make([]string, pods)
			var wg sync.WaitGroup
			for i := range rts {
				wg.Go(func() {
					start := time.Now()
					r, err := h.add(rts[i])
					errs[i] = err
					if err == nil {
						results[i] = r.IPs[0].Address.IP.String()
					}
					t.Logf("%s (during ADDs %v): ADD %s after %v: %v", o.name, during, rts[i].ContainerID, time.Since(start).Round(time.Millisecond), err)
				})
			}
			if during {
				// While the processes read and write: a few dozen
				// milliseconds into their run.
				<-time.After(time.Duration(20+10*n%60) * time.Millisecond)
				o.down(t, target)
			}
			wg.Wait()

			var retry []int
			for i, err := range errs {
				if err == nil {
					continue
				}
				failed++
				if !during {
					// A member that was already down must not stop pods
					// from starting (issue 9, item 7).
					t.Errorf("%s: ADD %s failed with a member down and the others healthy: %v", o.name, rts[i].ContainerID, err)
				}
				if code := cniCode(err); code != 11 {
					t.Errorf("%s: ADD %s failed with code %d, want 11: %v", o.name, rts[i].ContainerID, code, err)
				}
				h.nothingOf(rts[i])
				retry = append(retry, i)
			}
			o.restore(t, target)
			c.Leader(t)
			for _, i := range retry {
				retried++
				r, err := h.add(rts[i])
				if err != nil {
					t.Fatalf("%s: retried ADD %s with the member back: %v", o.name, rts[i].ContainerID, err)
				}
				results[i] = r.IPs[0].Address.IP.String()
			}
			for i, a := range results {
				if other, dup := addrs[a]; dup {
					t.Errorf("address %s given to %s and %s", a, other, rts[i].ContainerID)
				}
				addrs[a] = rts[i].ContainerID
			}
			live = append(live, rts...)
		}
	}
	t.Logf("%d ADDs: %d failed with code 11 and succeeded when retried (%d), %d distinct addresses", n, failed, retried, len(addrs))
	h.etcd = c.Member(c.Leader(t))
	h.duplicateEndpoints()
	h.delAll(live)
	h.leakCheck()
}

// nothingOf fails the test if anything of the pod of rt exists: its HNS
// endpoint, its IPAM handle, an allocation under it, its WorkloadEndpoint.
func (h *harness) nothingOf(rt *libcni.RuntimeConf) {
	h.t.Helper()
	eps, err := h.sim.ListEndpoints(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, ep := range eps {
		if strings.HasPrefix(ep.Name, rt.ContainerID) {
			h.t.Errorf("failed ADD %s left HNS endpoint %s", rt.ContainerID, ep.Name)
		}
	}
	for _, kv := range h.etcd.List(h.t, "/calico/ipam/v2/") {
		if strings.Contains(kv.Key, rt.ContainerID) || strings.Contains(kv.Value, rt.ContainerID) {
			h.t.Errorf("failed ADD %s left %s", rt.ContainerID, kv.Key)
		}
	}
	for _, kv := range h.etcd.List(h.t, "/calico/resources/v3/projectcalico.org/workloadendpoints/") {
		if strings.Contains(kv.Value, rt.ContainerID) {
			h.t.Errorf("failed ADD %s left WorkloadEndpoint %s", rt.ContainerID, kv.Key)
		}
	}
}

// duplicateEndpoints reports, and counts, the addresses that two HNS
// endpoints hold.
func (h *harness) duplicateEndpoints() int {
	h.t.Helper()
	eps, err := h.sim.ListEndpoints(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	owner, n := map[string]string{}, 0
	for _, ep := range eps {
		if ep.Flags&hns.EndpointFlagRemote != 0 {
			continue
		}
		for _, ip := range ep.IpConfigurations {
			if other, dup := owner[ip.IpAddress]; dup {
				n++
				h.t.Errorf("HNS endpoints %s and %s both hold %s", other, ep.Name, ip.IpAddress)
			}
			owner[ip.IpAddress] = ep.Name
		}
	}
	return n
}
