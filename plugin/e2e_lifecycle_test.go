//go:build !windows

package plugin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"

	"github.com/calico-win/cni/datastore"
	etcdstore "github.com/calico-win/cni/datastore/etcd"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/ipam"
)

func TestAddCheckDelIntegration(t *testing.T) {
	h := newHarness(t)
	rt := pod("web-0", h.namespace())
	res := h.mustAdd(rt)

	// The result: the block-masked address, the HNS MAC, the DNS of the conf.
	if len(res.IPs) != 1 || res.IPs[0].Address.String() != "10.244.5.3/26" {
		t.Fatalf("IPs = %v, want 10.244.5.3/26", res.IPs)
	}
	if len(res.Interfaces) != 2 || !h.macOK(res.Interfaces[1].Mac, "10.244.5.3") || res.Interfaces[1].Sandbox != rt.NetNS ||
		!strings.HasPrefix(res.Interfaces[0].Name, "cali") {
		t.Fatalf("interfaces = %+v", res.Interfaces)
	}
	if strings.Join(res.DNS.Nameservers, ",") != "10.96.0.10" {
		t.Errorf("DNS = %+v", res.DNS)
	}

	// The HNS endpoint: name, network, IP, MAC, gateway, policies, attached.
	ep, err := h.sim.GetEndpointByName(context.Background(), "cid-web-0_Calico")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(ep.HostComputeNetwork, h.network.Id) || !strings.EqualFold(ep.HostComputeNamespace, rt.NetNS) ||
		ep.IpConfigurations[0].IpAddress != "10.244.5.3" || ep.MacAddress != res.Interfaces[1].Mac ||
		ep.Routes[0].NextHop != h.podGateway() || ep.Dns.ServerList[0] != "10.96.0.10" {
		t.Fatalf("endpoint = %+v", ep)
	}
	pol, _ := json.Marshal(ep.Policies)
	for _, want := range []string{
		`{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.96.0.0/12","10.244.5.0/26"]}}`,
		`{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}`,
		h.modePolicy(),
		`{"Type":"ACL","Settings":{"Protocols":"256","Action":"Block","Direction":"In","RuleType":"Switch","Priority":65500}}`,
	} {
		// HNS matches policy type names case-insensitively.
		if !strings.Contains(strings.ToLower(string(pol)), strings.ToLower(want)) {
			t.Errorf("endpoint policies lack %s:\n%s", want, pol)
		}
	}
	h.checkHostEndpoint(t, h.network)

	// The WorkloadEndpoint as Calico writes it.
	key := "/calico/resources/v3/projectcalico.org/workloadendpoints/default/win--1-k8s-web--0-eth0"
	raw, ok := h.etcd.Get(t, key)
	if !ok {
		t.Fatalf("no WorkloadEndpoint at %s", key)
	}
	var wep struct {
		Kind, APIVersion string
		Metadata         struct {
			Name, Namespace, UID, CreationTimestamp string
			Labels                                  map[string]string
		}
		Spec map[string]any
	}
	json.Unmarshal([]byte(raw), &wep)
	if wep.Kind != "WorkloadEndpoint" || wep.APIVersion != "projectcalico.org/v3" || wep.Metadata.UID == "" ||
		wep.Metadata.Labels["projectcalico.org/namespace"] != "default" || wep.Metadata.Labels["projectcalico.org/orchestrator"] != "k8s" ||
		wep.Spec["pod"] != "web-0" || wep.Spec["containerID"] != "cid-web-0" || wep.Spec["mac"] != strings.ToLower(strings.ReplaceAll(ep.MacAddress, "-", ":")) ||
		wep.Spec["endpoint"] != "eth0" || wep.Spec["node"] != node || strings.Join(toStrings(wep.Spec["ipNetworks"]), ",") != "10.244.5.3/32" ||
		strings.Join(toStrings(wep.Spec["profiles"]), ",") != "Calico" {
		t.Errorf("WorkloadEndpoint = %s", raw)
	}

	if err := h.cni.CheckNetworkList(ctx(t), h.list("1.1.0"), rt); err != nil {
		t.Fatalf("CHECK: %v", err)
	}
	if err := h.del(rt); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	if err := h.del(rt); err != nil {
		t.Fatalf("second DEL: %v", err)
	}
	h.leakCheck()
}

func toStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			out = append(out, x.(string))
		}
	}
	return out
}

func TestRepeatedAddReturnsSameResultIntegration(t *testing.T) {
	h := newHarness(t)
	rt := pod("web-0", h.namespace())
	first := h.mustAdd(rt)
	second := h.mustAdd(rt)
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(second)
	if string(a) != string(b) {
		t.Fatalf("repeated ADD changed the result:\n%s\n%s", a, b)
	}
	eps, _ := h.sim.ListEndpoints(context.Background())
	if n := countPrefix(eps, "cid-web-0_"); n != 1 {
		t.Fatalf("%d endpoints for the pod after a repeated ADD", n)
	}
	if n := len(h.etcd.List(t, "/calico/ipam/v2/handle/")); n != 1 {
		t.Fatalf("%d handles", n)
	}
	if err := h.del(rt); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

func countPrefix(eps []hns.Endpoint, p string) int {
	n := 0
	for _, e := range eps {
		if strings.HasPrefix(e.Name, p) {
			n++
		}
	}
	return n
}

func TestDelWithoutAddAndWithoutNamespaceIntegration(t *testing.T) {
	h := newHarness(t)
	if err := h.del(pod("never-added", h.namespace())); err != nil {
		t.Fatalf("DEL without ADD: %v", err)
	}
	rt := pod("web-0", h.namespace())
	h.mustAdd(rt)
	// containerd may remove the namespace before the DEL, and pass no netns.
	if err := h.sim.DeleteNamespace(context.Background(), rt.NetNS); err != nil {
		t.Fatal(err)
	}
	rt.NetNS = ""
	if err := h.del(rt); err != nil {
		t.Fatalf("DEL after the namespace is gone: %v", err)
	}
	h.leakCheck()
}

// A DEL for an old sandbox of a pod that has a new one keeps the new
// sandbox's WorkloadEndpoint (Calico's container-ID rule).
func TestDelOfOldSandboxKeepsNewWEPIntegration(t *testing.T) {
	h := newHarness(t)
	old := pod("web-0", h.namespace())
	h.mustAdd(old)
	if err := h.del(old); err != nil {
		t.Fatal(err)
	}
	newer := pod("web-0", h.namespace())
	newer.ContainerID = "cid-web-0-new"
	h.mustAdd(newer)
	if err := h.del(old); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/workloadendpoints/default/win--1-k8s-web--0-eth0"); !ok {
		t.Fatal("the old sandbox's DEL deleted the new sandbox's WorkloadEndpoint")
	}
	if err := h.del(newer); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// DEL also releases the handle older Calico versions used, "<namespace>.<pod>".
func TestDelReleasesLegacyHandleIntegration(t *testing.T) {
	h := newHarness(t)
	st, err := etcdstore.New(etcdstore.Config{Endpoints: h.etcd.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &ipam.Allocator{Store: st, Host: node}
	if _, err := a.Assign(ctx(t), ipam.Request{HandleID: "default.old-pod"}, datastore.Query{}); err != nil {
		t.Fatal(err)
	}
	if err := h.del(pod("old-pod", "")); err != nil {
		t.Fatal(err)
	}
	h.leakCheck()
}

// Orchestrator cni with no policy type: the WorkloadEndpoint is Calico's cni
// form, and the network's profile is created as Calico does (and kept).
func TestCNIOrchestratorProfileIntegration(t *testing.T) {
	h := newHarness(t)
	delete(h.conf, "policy")
	rt := &libcni.RuntimeConf{ContainerID: "cnitool-f55c318bb8881d9c18d6", NetNS: h.namespace(), IfName: "eth0"}
	h.mustAdd(rt)
	raw, ok := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/profiles/Calico")
	if !ok {
		t.Fatal("no profile")
	}
	// Calico's bytes (reference §9.2), uid and creationTimestamp aside.
	if !strings.HasPrefix(raw, `{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"Calico","uid":"`) ||
		!strings.HasSuffix(raw, `"spec":{"ingress":[{"action":"Allow","source":{"selector":"has(Calico)"}}],"egress":[{"action":"Allow"}],"labelsToApply":{"Calico":""}}}`) {
		t.Fatalf("profile = %s", raw)
	}
	wep, ok := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/workloadendpoints/default/win--1-cni-cnitool--f55c318bb8881d9c18d6-eth0")
	if !ok || !strings.Contains(wep, `"orchestrator":"cni"`) || !strings.Contains(wep, `"profiles":["Calico"]`) ||
		!strings.Contains(wep, `"interfaceName":"calicnitool-f55"`) || !strings.Contains(wep, `"projectcalico.org/orchestrator":"cni"`) {
		t.Fatalf("WorkloadEndpoint = %s", wep)
	}
	// A second pod does not rewrite the profile.
	rt2 := &libcni.RuntimeConf{ContainerID: "cnitool-second", NetNS: h.namespace(), IfName: "eth0"}
	h.mustAdd(rt2)
	if again, _ := h.etcd.Get(t, "/calico/resources/v3/projectcalico.org/profiles/Calico"); again != raw {
		t.Fatal("the profile was rewritten")
	}
	for _, r := range []*libcni.RuntimeConf{rt, rt2} {
		if err := h.del(r); err != nil {
			t.Fatal(err)
		}
	}
	h.leakCheck()
}
