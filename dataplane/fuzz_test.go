package dataplane

// FuzzEndpointPolicies: the conf's EndpointPolicy values are passed on to
// HNS after conversion (v1 names, ExceptionList, the pools' NAT
// exceptions), and the management IP is read from the network's policies.
// The property: no panic; a value that converts gives policies whose
// Settings are JSON objects, so HNS never receives a body we could not
// have encoded. `go test` runs the seeds in testdata/fuzz; `make fuzz`
// fuzzes.

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/calico-win/cni/hns"
)

func FuzzEndpointPolicies(f *testing.F) {
	for _, s := range []string{
		`{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12"]}`,
		`{"Type":"SDNROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}`,
		`{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}`,
		`{"Type":"PA","PA":"10.0.0.4"}`,
		`{"Type":"OutBoundNAT","Exceptions":null}`,
		`{"Type":"OutBoundNAT","ExceptionList":"10.96.0.0/12"}`,
		`{"Type":null}`,
		`[]`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, nat bool) {
		if !json.Valid(raw) {
			return // the netconf holds it as a json.RawMessage: valid JSON
		}
		d := New(nil, Options{Name: "Calico", SingleNetwork: true, Mode: Overlay(4096, "0E-2A"),
			Policies: []json.RawMessage{raw}, LoopbackDSR: true})
		ps, err := d.endpointPolicies([]Pool{{CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: nat}},
			netip.MustParseAddr("10.244.5.3"), netip.MustParseAddr("10.0.0.4"))
		if err != nil {
			return
		}
		for _, p := range ps {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(p.Settings, &m); err != nil {
				t.Fatalf("policy %q has settings %q, not a JSON object: %v", p.Type, p.Settings, err)
			}
		}
		// The same value as a network policy, where ManagementIP looks.
		_, _ = ManagementIP(&hns.Network{Policies: []hns.Policy{{Type: hns.ProviderAddress, Settings: raw}}})
	})
}
