//go:build windows

package hcn

// FuzzConversions: every object the adapter sends to or reads from HNS goes
// through viaJSON between the hns mirror types and hcsshim's. The property:
// no panic; whatever decodes as either side converts, and a round trip
// hns -> hcn -> hns keeps the object (TestMirrorMatchesHCN keeps the field
// sets equal; this checks the values, types and all). It runs with its
// seeds as a normal test under Wine (scripts/wine-test.sh); `make fuzz`
// fuzzes it there too when FUZZ_WINE=1.

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

func FuzzConversions(f *testing.F) {
	for _, v := range []any{overlayNetwork(), &hns.Endpoint{Id: "1B0A4F52-7C1E-4B6E-8E0A-3B2D5C6A7F80", Name: "cid_Calico",
		HostComputeNetwork: "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11", HostComputeNamespace: "3F2E1D0C-9B8A-4756-8493-A2B1C0D9E8F7",
		Policies:         []hns.Policy{{Type: "OutBoundNAT", Settings: json.RawMessage(`{"Exceptions":["10.96.0.0/12"]}`)}},
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.3", PrefixLength: 26}}, MacAddress: "0E-2A-0a-f4-05-03",
		Routes: []hns.Route{{NextHop: "10.244.5.1", DestinationPrefix: "0.0.0.0/0"}}, Flags: 1, SchemaVersion: hns.V2},
		&hns.Namespace{Id: "3F2E1D0C-9B8A-4756-8493-A2B1C0D9E8F7", NamespaceId: 7, Type: "HostDefault",
			Resources: []hns.NamespaceResource{{Type: "Endpoint", Data: json.RawMessage(`{"ID":"1B0A4F52-7C1E-4B6E-8E0A-3B2D5C6A7F80"}`)}}}} {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Flags":4294967296}`))
	f.Add([]byte(`{"Ipams":[{"Subnets":[{"Policies":[null]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var n hns.Network
		if json.Unmarshal(b, &n) == nil {
			if h, err := toHCNNetwork(&n); err == nil {
				back, err := fromHCNNetwork(h)
				sameJSON(t, &n, back, err)
			}
		}
		var e hns.Endpoint
		if json.Unmarshal(b, &e) == nil {
			if h, err := toHCNEndpoint(&e); err == nil {
				back, err := fromHCNEndpoint(h)
				sameJSON(t, &e, back, err)
				_ = toHCNEndpointPolicies(e.Policies)
			}
		}
		var ns hns.Namespace
		if json.Unmarshal(b, &ns) == nil {
			if h, err := toHCNNamespace(&ns); err == nil {
				back, err := fromHCNNamespace(h)
				sameJSON(t, &ns, back, err)
			}
		}
		// And what HNS returns, read into the mirror types.
		var he hcn.HostComputeEndpoint
		if json.Unmarshal(b, &he) == nil {
			_, _ = fromHCNEndpoints([]hcn.HostComputeEndpoint{he})
		}
		var hn hcn.HostComputeNetwork
		if json.Unmarshal(b, &hn) == nil {
			_, _ = fromHCNNetwork(&hn)
			_ = toHCNNetworkPolicies(n.Policies)
		}
	})
}

// sameJSON fails unless back (converted from want and back) encodes as want does.
func sameJSON(t *testing.T, want, back any, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%T: converted to hcn, not back: %v", want, err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(back)
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	if !reflect.DeepEqual(x, y) {
		t.Fatalf("%T round trip through hcn changed it:\n%s\n%s", want, a, b)
	}
}
