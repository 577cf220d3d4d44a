package plugin

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
)

func policyJSON(t *testing.T, nc *NetConf, pools []datastore.IPPool) string {
	t.Helper()
	ps, err := endpointPolicies(nc, pools, netip.MustParseAddr("10.244.5.7"), netip.MustParseAddr("10.0.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ps)
	return string(b)
}

// The four cases of Calico's winpol tests, in the v2 form, plus the VXLAN
// additions and the default-deny ACL.
func TestEndpointPolicies(t *testing.T) {
	natPool := []datastore.IPPool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: true}, {CIDR: netip.MustParsePrefix("10.250.0.0/16")}}
	noNatPool := []datastore.IPPool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: false}}
	conf := func(policies string) *NetConf {
		nc, err := ParseNetConf([]byte(`{"name":"Calico","policies":` + policies + `}`))
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}
	const pa = `{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.0.4"}}`
	const acl = `{"Type":"ACL","Settings":{"Protocols":"256","Action":"Block","Direction":"In","RuleType":"Switch","Priority":65500}}`
	withNAT := `[{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12"]}},` +
		`{"name":"EndpointPolicy","value":{"Type":"SDNROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}]`
	for _, tc := range []struct {
		name     string
		policies string
		pools    []datastore.IPPool
		want     string
	}{
		{"nat on augments exceptions", withNAT, natPool,
			`[{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.96.0.0/12","10.244.0.0/16","10.250.0.0/16"]}},` +
				`{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}},` + pa + `,` + acl + `]`},
		{"nat off drops OutBoundNAT", withNAT, noNatPool,
			`[{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}},` + pa + `,` + acl + `]`},
		{"nat on without stanza adds one", `[]`, natPool,
			`[{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.244.0.0/16","10.250.0.0/16"]}},` + pa + `,` + acl + `]`},
		{"nat off without stanza adds nothing", `[]`, noNatPool, `[` + pa + `,` + acl + `]`},
		{"v1 ROUTE becomes SDNRoute", `[{"name":"EndpointPolicy","value":{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}]`, noNatPool,
			`[{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}},` + pa + `,` + acl + `]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := policyJSON(t, conf(tc.policies), tc.pools); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("loopback DSR and no default deny", func(t *testing.T) {
		nc := conf(`[]`)
		nc.WindowsLoopbackDSR, nc.WindowsDisableDefaultDenyAllPolicy = true, true
		want := `[` + pa + `,{"Type":"OutBoundNAT","Settings":{"Destinations":["10.244.5.7"]}}]`
		if got := policyJSON(t, nc, noNatPool); got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})
}

func TestEndpointMACAndDNS(t *testing.T) {
	if got := endpointMAC("0E-2A", netip.MustParseAddr("10.244.1.5")); got != "0E-2A-0a-f4-01-05" {
		t.Errorf("MAC = %s", got)
	}
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
