//go:build !windows

package plugin_test

// GC collects exactly what it can prove is this network's and stale: the
// handle "<network>.<containerID>", the WorkloadEndpoint (or the pod's
// annotations) and the HNS endpoint of every attachment missing from
// cni.dev/valid-attachments, in any number, on both datastores.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// ipamAdd runs the calico-ipam binary's ADD for a container of network
// name, with conf overrides: an allocation without anything else.
func (h *harness) ipamAdd(t *testing.T, name, cid string, overrides map[string]any) {
	t.Helper()
	c := maps.Clone(h.conf)
	maps.Copy(c, overrides)
	c["cniVersion"], c["name"], c["type"] = "1.1.0", name, "calico-ipam"
	b, _ := json.Marshal(c)
	env := cniEnv("ADD", cid, "11111111-2222-3333-4444-555555555555")
	env = append(env, "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-"+cid)
	if e, _, stderr := runBin(t, "calico-ipam", b, env); e != nil {
		t.Fatalf("calico-ipam ADD %s: %+v\n%s", cid, e, stderr)
	}
}

// handles lists the IPAM handle IDs of the datastore.
func (h *harness) handles() map[string]bool {
	out := map[string]bool{}
	if h.kas != nil {
		for _, o := range h.calicoList("ipamhandles") {
			out[o["spec"].(map[string]any)["handleID"].(string)] = true
		}
		return out
	}
	for _, kv := range h.etcd.List(h.t, "/calico/ipam/v2/handle/") {
		out[strings.TrimPrefix(kv.Key, "/calico/ipam/v2/handle/")] = true
	}
	return out
}

// weps reports, per pod, whether its workload endpoint exists (a WEP on
// etcd, the podIP annotation on the Kubernetes datastore).
func (h *harness) hasWEP(pod string) bool {
	if h.kas != nil {
		return h.annotations(pod)["cni.projectcalico.org/podIP"] != ""
	}
	_, ok := h.etcd.Get(h.t, "/calico/resources/v3/projectcalico.org/workloadendpoints/default/"+strings.ReplaceAll(node, "-", "--")+"-k8s-"+
		strings.ReplaceAll(pod, "-", "--")+"-eth0")
	return ok
}

// gc runs the calico binary's GC directly (libcni's GCNetworkList would
// first DEL the attachments it has cached, leaving GC nothing to find).
func (h *harness) gc(t *testing.T, keep ...string) {
	t.Helper()
	valid := []types.GCAttachment{}
	for _, cid := range keep {
		valid = append(valid, types.GCAttachment{ContainerID: cid, IfName: "eth0"})
	}
	b := h.stdin("1.1.0", map[string]any{"cni.dev/valid-attachments": valid})
	if e, _, stderr := runBin(t, "calico", b, []string{"CNI_COMMAND=GC", "CNI_PATH=" + binDir}); e != nil {
		t.Fatalf("GC: %+v\n%s", e, tail(stderr, 20))
	}
}

func TestGCScopeIntegration(t *testing.T) {
	for _, ds := range []string{"etcd", "kdd"} {
		for _, single := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/single_network=%v", ds, single), func(t *testing.T) {
				var h *harness
				var keep, stale *libcni.RuntimeConf
				if ds == "kdd" {
					h = newKDDHarness(t)
					keep, stale = h.kubePod("keep", nil), h.kubePod("stale", nil)
				} else {
					h = newHarness(t)
					keep, stale = pod("keep", h.namespace()), pod("stale", h.namespace())
				}
				h.conf["windows_use_single_network"] = single
				if !single { // the per-block network is created by the first ADD
					h.sim.UpdateConfig(context.Background(), func(c *sim.Config) { c.HostAddress = "10.0.0.4" })
				}
				h.mustAdd(keep)
				h.mustAdd(stale)
				// Handles GC cannot prove are this network's: another network
				// whose name starts with "Calico.", a container ID of another
				// shape, a legacy handle.
				h.ipamAdd(t, "Calico.v2", "cid-other", nil)
				h.ipamAdd(t, "Calico", "odd.id", nil)
				h.gc(t, keep.ContainerID)

				want := map[string]bool{"Calico.cid-keep": true, "Calico.v2.cid-other": true, "Calico.odd.id": true}
				if got := h.handles(); !maps.Equal(got, want) {
					t.Errorf("handles after GC: %v, want %v", got, want)
				}
				if !h.hasWEP("keep") || h.hasWEP("stale") {
					t.Errorf("after GC the workload endpoint of keep exists=%v, of stale=%v; want true, false", h.hasWEP("keep"), h.hasWEP("stale"))
				}
				eps, _ := h.sim.ListEndpoints(context.Background())
				var names []string
				for _, ep := range eps {
					if ep.Flags&hns.EndpointFlagRemote == 0 && strings.HasSuffix(ep.Name, "_Calico") {
						names = append(names, ep.Name)
					}
				}
				if fmt.Sprint(names) != "[cid-keep_Calico]" {
					t.Errorf("pod endpoints after GC: %v", names)
				}
			})
		}
	}
}

// More stale handles than one etcd transaction may write: all released,
// within the call's deadline.
func TestGCOfManyStaleHandlesIntegration(t *testing.T) {
	for _, ds := range []string{"etcd", "kdd"} {
		t.Run(ds, func(t *testing.T) {
			var h *harness
			if ds == "kdd" {
				h = newKDDHarness(t)
				h.kas.PutIPPool(t, bigPool())
			} else {
				h = newHarness(t)
				h.etcd.PutIPPool(t, bigPool())
			}
			h.conf["windows_use_single_network"] = false
			h.conf["ipam"] = map[string]any{"type": "calico-ipam", "ipv4_pools": []string{bigPool().CIDR.String()}}
			const n = 141
			var wg sync.WaitGroup
			sem := make(chan struct{}, 6)
			for i := range n {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					h.ipamAdd(t, "Calico", fmt.Sprintf("cid-%03d", i), nil)
				}()
			}
			wg.Wait()
			if got := len(h.handles()); got != n {
				t.Fatalf("%d handles before GC, want %d", got, n)
			}
			start := time.Now()
			h.gc(t)
			t.Logf("GC of %d stale handles on %s: %s", n, ds, time.Since(start))
			if got := h.handles(); len(got) != 0 {
				t.Fatalf("%d handles left after GC", len(got))
			}
		})
	}
}

// bigPool has room for three blocks of 64 beside the harness's pool.
func bigPool() datastore.IPPool {
	return datastore.IPPool{Name: "big", CIDR: netip.MustParsePrefix("10.250.0.0/24"), BlockSize: 26, NATOutgoing: true}
}
