package plugin

import (
	"testing"
)

func TestEndpointDNS(t *testing.T) {
	nc, _ := ParseNetConf([]byte(`{"name":"Calico","dns":{"nameservers":["10.96.0.10"],"search":["pod.cluster.local"]}}`))
	if d := endpointDNS(nc); d.ServerList[0] != "10.96.0.10" || d.Search[0] != "pod.cluster.local" {
		t.Errorf("conf DNS: %+v", d)
	}
	nc.RuntimeConfig.DNS.Servers = []string{"10.96.0.11"}
	nc.RuntimeConfig.DNS.Searches = []string{"svc.cluster.local"}
	if d := endpointDNS(nc); d.ServerList[0] != "10.96.0.11" || d.Search[0] != "svc.cluster.local" {
		t.Errorf("runtime DNS must win: %+v", d)
	}
}

func TestWEPNameAndNetns(t *testing.T) {
	if got := wepName("win-node-5", "k8s", "iis2-76f8647c6d-6t4dj", "eth0"); got != "win--node--5-k8s-iis2--76f8647c6d--6t4dj-eth0" {
		t.Errorf("wep name = %s", got)
	}
	if got := wepName("node1", "cni", "cnitool-f55c318bb8881d9c18d6", "eth0"); got != "node1-cni-cnitool--f55c318bb8881d9c18d6-eth0" {
		t.Errorf("wep name = %s", got)
	}
	if got := hostIfName(false, "", "", "cnitool-f55c318bb8881d9c18d6"); got != "calicnitool-f55" {
		t.Errorf("host if = %s", got)
	}
	g := "5c3a3ce4-9a2e-4e4c-b2b5-1d8a0a0c7e11"
	for _, in := range []string{g, "/tmp/x/" + g, `C:\x\` + g} {
		if got, err := namespaceID(in); err != nil || got != "5C3A3CE4-9A2E-4E4C-B2B5-1D8A0A0C7E11" {
			t.Errorf("namespaceID(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"none", "container:abc", "/var/run/netns/x", ""} {
		if _, err := namespaceID(bad); err == nil {
			t.Errorf("namespaceID(%q): want an error", bad)
		}
	}
}
