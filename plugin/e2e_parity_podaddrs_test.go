//go:build !windows

package plugin_test

// Issue 10 item 10: the pod address annotations ipAddrs (through IPAM),
// ipAddrsNoIpam (behind feature_control.ip_addrs_no_ipam) and floatingIPs
// (refused: Windows has no NAT for it), on both datastores.

import (
	"context"
	"net/netip"
	"testing"

	"github.com/containernetworking/cni/libcni"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// withKubePods gives an etcd harness the Kubernetes API and policy k8s (a
// Kubernetes-datastore harness has both) and returns a function that creates
// a pod with annotations.
func (h *harness) withKubePods() func(name string, annotations map[string]string) *libcni.RuntimeConf {
	kas := h.kas
	if kas == nil {
		kas = kastest.Shared(h.t)
		h.conf["kubernetes"] = map[string]any{"kubeconfig": kas.CNIKubeconfig(h.t)}
		h.conf["policy"] = map[string]any{"type": "k8s"}
	}
	return func(name string, annotations map[string]string) *libcni.RuntimeConf {
		kas.PutPod(h.t, kastest.Pod{Namespace: "default", Name: name, Node: node, Annotations: annotations})
		return pod(name, h.namespace())
	}
}

func TestPodAddressAnnotationsIntegration(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) *harness{"etcd": newHarness, "kdd": newKDDHarness} {
		t.Run(name, func(t *testing.T) {
			h := mk(t)
			mkPod := h.withKubePods()
			other := datastore.IPPool{Name: "pool2", CIDR: netip.MustParsePrefix("10.245.0.0/24"), BlockSize: 26}
			if h.kas != nil {
				h.kas.PutIPPool(t, other)
			} else {
				h.etcd.PutIPPool(t, other)
			}
			// A first pod leaves the node's block hint, so the annotated
			// ADD below starts on the optimistic path.
			first := mkPod("first", nil)
			h.mustAdd(first)

			rt := mkPod("fixed", map[string]string{"cni.projectcalico.org/ipAddrs": `["10.244.5.20"]`})
			if got := h.mustAdd(rt).IPs[0].Address.String(); got != "10.244.5.20/26" {
				t.Fatalf("ipAddrs: got %s, want 10.244.5.20/26", got)
			}
			if !h.hasHandle("Calico." + rt.ContainerID) {
				t.Fatal("ipAddrs: the address is not held in IPAM")
			}
			// Taken: a second pod asking for it is refused.
			again := mkPod("again", map[string]string{"cni.projectcalico.org/ipAddrs": `["10.244.5.20"]`})
			if _, err := h.add(again); err == nil || !contains(err, "ipAddrs") {
				t.Fatalf("ipAddrs of a taken address: %v", err)
			}

			noIPAM := map[string]string{"cni.projectcalico.org/ipAddrsNoIpam": `["10.244.5.40"]`}
			off := mkPod("noipam-off", noIPAM)
			if _, err := h.add(off); cniCode(err) != 7 || !contains(err, "ip_addrs_no_ipam") {
				t.Fatalf("ipAddrsNoIpam without the feature: %v, want code 7", err)
			}
			h.conf["feature_control"] = map[string]any{"ip_addrs_no_ipam": true}
			on := mkPod("noipam", noIPAM)
			if got := h.mustAdd(on).IPs[0].Address.String(); got != "10.244.5.40/26" {
				t.Fatalf("ipAddrsNoIpam: got %s, want 10.244.5.40/26 (the block's mask)", got)
			}
			if h.hasHandle("Calico." + on.ContainerID) {
				t.Fatal("ipAddrsNoIpam went through IPAM")
			}
			// Outside the node's single network: refused, the network kept.
			outside := mkPod("outside", map[string]string{"cni.projectcalico.org/ipAddrsNoIpam": `["10.250.0.9"]`})
			if _, err := h.add(outside); cniCode(err) != 7 {
				t.Fatalf("ipAddrsNoIpam outside every pool: %v, want code 7", err)
			}

			// In a pool, but not the block of the node's single network:
			// refused, where creating its network would replace the node's.
			otherBlock := mkPod("other-block", map[string]string{"cni.projectcalico.org/ipAddrsNoIpam": `["10.245.0.9"]`})
			if _, err := h.add(otherBlock); cniCode(err) != 7 || !contains(err, "not the subnet") {
				t.Fatalf("ipAddrsNoIpam in another block: %v, want code 7", err)
			}
			if n, err := h.sim.GetNetworkByName(context.Background(), "Calico"); err != nil || n.Id != h.network.Id {
				t.Fatalf("the node's network was replaced: %+v, %v", n, err)
			}
			for _, bad := range []map[string]string{
				{"cni.projectcalico.org/floatingIPs": `["1.2.3.4"]`},
				{"cni.projectcalico.org/ipAddrs": `["10.244.5.21"]`, "cni.projectcalico.org/ipAddrsNoIpam": `["10.244.5.22"]`},
				{"cni.projectcalico.org/ipAddrs": `["fd00::1"]`},
				{"cni.projectcalico.org/ipAddrs": `["10.244.5.21", "10.244.5.22"]`},
				{"cni.projectcalico.org/ipAddrs": `10.244.5.21`},
			} {
				if _, err := h.add(mkPod("bad", bad)); cniCode(err) != 7 {
					t.Fatalf("%v: %v, want code 7", bad, err)
				}
			}
			for _, r := range []*libcni.RuntimeConf{first, rt, again, off, on, outside, otherBlock} {
				if err := h.del(r); err != nil {
					t.Fatalf("DEL %s: %v", r.ContainerID, err)
				}
			}
			h.leakCheck()
		})
	}
}
