package hns

// Fuzz targets for the HNS JSON the plugin decodes: objects as HNS (or the
// simulator) returns them, and policy settings. The property: no panic;
// whatever decodes encodes again and round-trips unchanged (the hcn
// adapter converts through this JSON, so a lossy round trip would change
// what HNS is sent). `go test` runs the seeds in testdata/fuzz; `make fuzz`
// fuzzes.

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzObjectJSON(f *testing.F) {
	for _, s := range []string{
		`{"ID":"74519449-3C37-4F3E-9D6B-2F0C5A1B7E11","Name":"Calico","Type":"Overlay","Policies":[{"Type":"NetAdapterName","Settings":{"NetworkAdapterName":"Ethernet"}},{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.0.4"}}],"MacPool":{"Ranges":[{"StartMacAddress":"00-15-5D-52-C0-00","EndMacAddress":"00-15-5D-52-CF-FF"}]},"Ipams":[{"Type":"Static","Subnets":[{"IpAddressPrefix":"10.244.5.0/26","Policies":[{"Type":"VSID","Settings":{"IsolationId":4096}}],"Routes":[{"NextHop":"10.244.5.1","DestinationPrefix":"0.0.0.0/0"}]}]}],"Flags":8,"SchemaVersion":{"Major":2,"Minor":0}}`,
		`{"ID":"1B0A4F52-7C1E-4B6E-8E0A-3B2D5C6A7F80","Name":"cid_Calico","HostComputeNetwork":"74519449-3C37-4F3E-9D6B-2F0C5A1B7E11","HostComputeNamespace":"3F2E1D0C-9B8A-4756-8493-A2B1C0D9E8F7","Policies":[{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.96.0.0/12","10.244.0.0/16"]}},{"Type":"ACL","Settings":{"Protocols":"256","Action":"Block","Direction":"In","RuleType":"Switch","Priority":65500}}],"IpConfigurations":[{"IpAddress":"10.244.5.3","PrefixLength":26}],"Dns":{"Search":["svc.cluster.local"],"ServerList":["10.96.0.10"]},"Routes":[{"NextHop":"10.244.5.1","DestinationPrefix":"0.0.0.0/0"}],"MacAddress":"0E-2A-0a-f4-05-03","SchemaVersion":{"Major":2,"Minor":0}}`,
		`{"ID":"3F2E1D0C-9B8A-4756-8493-A2B1C0D9E8F7","NamespaceId":7,"Type":"HostDefault","Resources":[{"Type":"Endpoint","Data":{"ID":"1B0A4F52-7C1E-4B6E-8E0A-3B2D5C6A7F80"}}],"SchemaVersion":{"Major":2,"Minor":0}}`,
		`{"Policies":[{"Settings":null}]}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		roundTrip[Network](t, b)
		roundTrip[Endpoint](t, b)
		roundTrip[Namespace](t, b)
		roundTrip[Version](t, b)
	})
}

// roundTrip decodes b as T; if that works, encoding must work and decode to
// the same value, and encoding that gives the same bytes.
func roundTrip[T any](t *testing.T, b []byte) {
	t.Helper()
	var v T
	if json.Unmarshal(b, &v) != nil {
		return
	}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T decoded from %q does not encode: %v", v, b, err)
	}
	var back T
	if err := json.Unmarshal(enc, &back); err != nil {
		t.Fatalf("%T: its own encoding %q does not decode: %v", v, enc, err)
	}
	enc2, err := json.Marshal(back)
	if err != nil || !bytes.Equal(enc, enc2) {
		t.Fatalf("%T round trip: %q, then %q (%v)", v, enc, enc2, err)
	}
	if !reflect.DeepEqual(normalize(v), normalize(back)) {
		t.Fatalf("%T round trip changed the value: %+v, then %+v", v, v, back)
	}
}

// normalize is v as generic JSON, so that an empty and a nil slice (which
// omitempty encodes alike) compare equal.
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func FuzzPolicyDecode(f *testing.F) {
	for _, s := range []string{
		`{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.0.4"}}`,
		`{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.96.0.0/12"],"Destinations":["10.244.5.3"]}}`,
		`{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}`,
		`{"Type":"ACL","Settings":{"Protocols":"256","Action":"Block","Direction":"In","RuleType":"Switch","Priority":65500}}`,
		`{"Type":"RemoteSubnetRoute","Settings":{"DestinationPrefix":"10.244.6.0/26","IsolationId":4096,"ProviderAddress":"10.0.0.5","DistributedRouterMacAddress":"0E-2A-0a-00-00-05"}}`,
		`{"Type":"VSID","Settings":{"IsolationId":4096}}`,
		`{"Type":"HostRoute","Settings":{}}`,
		`{"Type":"NetAdapterName","Settings":{"NetworkAdapterName":"Ethernet"}}`,
		`{"Type":"DrMacAddress","Settings":{"Address":"0E-2A-0a-00-00-04"}}`,
		`{"Type":"VSID","Settings":{"IsolationId":-1}}`,
		`{"Type":"VSID"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Policy
		if json.Unmarshal(b, &p) != nil {
			return
		}
		_ = p.Is(ProviderAddress)
		decodeAgain[ProviderAddressSetting](t, p)
		decodeAgain[OutboundNATSetting](t, p)
		decodeAgain[SDNRouteSetting](t, p)
		decodeAgain[ACLSetting](t, p)
		decodeAgain[HostRouteSetting](t, p)
		decodeAgain[NetAdapterNameSetting](t, p)
		decodeAgain[DrMacAddressSetting](t, p)
		decodeAgain[RemoteSubnetRouteSetting](t, p)
		decodeAgain[VSIDSetting](t, p)
	})
}

// decodeAgain decodes p's settings as S; if that works, NewPolicy of the
// result must decode to the same setting (NewPolicy never panics for a
// Setting decoded from JSON).
func decodeAgain[S Setting](t *testing.T, p Policy) {
	t.Helper()
	s, err := Decode[S](p)
	if err != nil {
		return
	}
	q := NewPolicy(s)
	if !q.Is(s.PolicyType()) {
		t.Fatalf("NewPolicy(%T) has type %q", s, q.Type)
	}
	s2, err := Decode[S](q)
	if err != nil || !reflect.DeepEqual(normalize(s), normalize(s2)) {
		t.Fatalf("%T: %+v encoded as %s decodes to %+v (%v)", s, s, q.Settings, s2, err)
	}
}
