package dataplane

import (
	"encoding/json"
	"net/netip"
	"testing"
)

func policyJSON(t *testing.T, opt Options, pools []Pool) string {
	t.Helper()
	ps, err := New(nil, opt).endpointPolicies(pools, netip.MustParseAddr("10.244.5.7"), netip.MustParseAddr("10.0.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ps)
	return string(b)
}

// The four cases of Calico's winpol tests, in the v2 form, plus the VXLAN
// additions and the default-deny ACL.
func TestEndpointPolicies(t *testing.T) {
	natPool := []Pool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: true}, {CIDR: netip.MustParsePrefix("10.250.0.0/16")}}
	noNatPool := []Pool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: false}}
	conf := func(policies string) Options {
		var entries []struct{ Value json.RawMessage }
		if err := json.Unmarshal([]byte(policies), &entries); err != nil {
			t.Fatal(err)
		}
		opt := Options{Name: "Calico", Mode: Overlay(4096, "0E-2A")}
		for _, e := range entries {
			opt.Policies = append(opt.Policies, e.Value)
		}
		return opt
	}
	const pa = `{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.0.4"}}`
	const acl = `{"Type":"ACL","Settings":{"Protocols":"256","Action":"Block","Direction":"In","RuleType":"Switch","Priority":65500}}`
	withNAT := `[{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12"]}},` +
		`{"name":"EndpointPolicy","value":{"Type":"SDNROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}]`
	for _, tc := range []struct {
		name     string
		policies string
		pools    []Pool
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
		nc.LoopbackDSR, nc.DisableDefaultDeny = true, true
		want := `[` + pa + `,{"Type":"OutBoundNAT","Settings":{"Destinations":["10.244.5.7"]}}]`
		if got := policyJSON(t, nc, noNatPool); got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})
}

func TestEndpointMAC(t *testing.T) {
	if got := (overlay{macPrefix: "0E-2A"}).podMAC(netip.MustParseAddr("10.244.1.5")); got != "0E-2A-0a-f4-01-05" {
		t.Errorf("MAC = %s", got)
	}
}
