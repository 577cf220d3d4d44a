//go:build windows

package hcn

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

// overlayNetwork is the network create body of the reference (§1.7).
func overlayNetwork() *hns.Network {
	return &hns.Network{
		Id:   "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11",
		Name: "Calico",
		Type: "Overlay",
		Policies: []hns.Policy{
			{Type: "NetAdapterName", Settings: json.RawMessage(`{"NetworkAdapterName":"Ethernet"}`)},
			{Type: "ProviderAddress", Settings: json.RawMessage(`{"ProviderAddress":"10.0.0.4"}`)},
		},
		MacPool: hns.MacPool{Ranges: []hns.MacRange{{StartMacAddress: "00-15-5D-52-C0-00", EndMacAddress: "00-15-5D-52-CF-FF"}}},
		Dns:     hns.Dns{Domain: "cluster.local", Search: []string{"svc.cluster.local"}, ServerList: []string{"10.96.0.10"}, Options: []string{"ndots:5"}},
		Ipams: []hns.Ipam{{Type: "Static", Subnets: []hns.Subnet{{
			IpAddressPrefix: "10.244.5.0/26",
			Policies:        []json.RawMessage{json.RawMessage(`{"Type":"VSID","Settings":{"IsolationId":4096}}`)},
			Routes:          []hns.Route{{NextHop: "10.244.5.1", DestinationPrefix: "0.0.0.0/0", Metric: 5}},
		}}}},
		Flags:         8,
		Health:        hns.Health{Extra: hns.ExtraParams{SwitchGuid: "2C0A4D4E-0000-0000-0000-000000000000"}},
		SchemaVersion: hns.V2,
	}
}

// podEndpoint is the overlay pod endpoint create body of the reference (§1.7).
func podEndpoint() *hns.Endpoint {
	return &hns.Endpoint{
		Name:               "6f1ce2_Calico",
		HostComputeNetwork: "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11",
		Policies: []hns.Policy{
			{Type: "OutBoundNAT", Settings: json.RawMessage(`{"Exceptions":["10.96.0.0/12","10.244.0.0/16"]}`)},
			{Type: "SDNRoute", Settings: json.RawMessage(`{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}`)},
			{Type: "ProviderAddress", Settings: json.RawMessage(`{"ProviderAddress":"10.0.0.4"}`)},
			{Type: "OutBoundNAT", Settings: json.RawMessage(`{"Destinations":["10.244.5.7"]}`)},
		},
		IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.7"}},
		Dns: hns.Dns{
			Search:     []string{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"},
			ServerList: []string{"10.96.0.10"},
			Options:    []string{"ndots:5"},
		},
		Routes:        []hns.Route{{NextHop: "10.244.5.1", DestinationPrefix: "0.0.0.0/0"}},
		MacAddress:    "0E-2A-0a-f4-05-07",
		SchemaVersion: hns.V2,
	}
}

// podEndpointBody is the JSON the reference says reaches HcnCreateEndpoint
// for podEndpoint.
const podEndpointBody = `{
  "Name": "6f1ce2_Calico",
  "HostComputeNetwork": "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11",
  "Policies": [
    { "Type": "OutBoundNAT",     "Settings": { "Exceptions": ["10.96.0.0/12", "10.244.0.0/16"] } },
    { "Type": "SDNRoute",        "Settings": { "DestinationPrefix": "10.96.0.0/12", "NeedEncap": true } },
    { "Type": "ProviderAddress", "Settings": { "ProviderAddress": "10.0.0.4" } },
    { "Type": "OutBoundNAT",     "Settings": { "Destinations": ["10.244.5.7"] } }
  ],
  "IpConfigurations": [{ "IpAddress": "10.244.5.7" }],
  "Dns": { "Search": ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
           "ServerList": ["10.96.0.10"], "Options": ["ndots:5"] },
  "Routes": [{ "NextHop": "10.244.5.1", "DestinationPrefix": "0.0.0.0/0" }],
  "MacAddress": "0E-2A-0a-f4-05-07",
  "Health": { "Extra": {} },
  "SchemaVersion": { "Major": 2, "Minor": 0 }
}`

func TestNetworkRoundTrip(t *testing.T) {
	in := overlayNetwork()
	h, err := toHCNNetwork(in)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != hcn.Overlay || h.Flags != hcn.EnableNonPersistent || h.Id != in.Id {
		t.Errorf("hcn network = %s %d %s, want Overlay, EnableNonPersistent, %s", h.Type, h.Flags, h.Id, in.Id)
	}
	if h.Policies[0].Type != hcn.NetAdapterName || string(h.Policies[0].Settings) != `{"NetworkAdapterName":"Ethernet"}` {
		t.Errorf("hcn network policy = %+v", h.Policies[0])
	}
	if r := h.Ipams[0].Subnets[0].Routes[0]; r.NextHop != "10.244.5.1" || r.DestinationPrefix != "0.0.0.0/0" || r.Metric != 5 {
		t.Errorf("hcn subnet route = %+v", r)
	}
	if h.SchemaVersion != (hcn.SchemaVersion{Major: 2, Minor: 0}) {
		t.Errorf("hcn schema = %+v", h.SchemaVersion)
	}
	out, err := fromHCNNetwork(h)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestEndpointRoundTrip(t *testing.T) {
	in := podEndpoint()
	h, err := toHCNEndpoint(in)
	if err != nil {
		t.Fatal(err)
	}
	// What hcn marshals is what HNS receives.
	body, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, string(body), podEndpointBody)

	out, err := fromHCNEndpoint(h)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

// An endpoint read back from HNS (upper-case IDs, attached, remote flag)
// converts to ours field for field.
func TestEndpointFromHNS(t *testing.T) {
	var h hcn.HostComputeEndpoint
	const read = `{"ID":"9D2C0E4B-6A1F-4C52-8E3B-77A1D2F0C9E1","Name":"ep","HostComputeNetwork":"74519449-3C37-4F3E-9D6B-2F0C5A1B7E11",
		"HostComputeNamespace":"0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0","IpConfigurations":[{"IpAddress":"10.244.5.7","PrefixLength":26}],
		"Dns":{},"MacAddress":"0E-2A-0A-F4-05-07","Flags":1,"Health":{"Data":{"State":2},"Extra":{"Resources":{"Allocators":[]}}},
		"SchemaVersion":{"Major":2,"Minor":0}}`
	if err := json.Unmarshal([]byte(read), &h); err != nil {
		t.Fatal(err)
	}
	out, err := fromHCNEndpoint(&h)
	if err != nil {
		t.Fatal(err)
	}
	if out.Id != h.Id || out.HostComputeNamespace != h.HostComputeNamespace || out.Flags != hns.EndpointFlagRemote ||
		out.IpConfigurations[0] != (hns.IpConfig{IpAddress: "10.244.5.7", PrefixLength: 26}) {
		t.Errorf("endpoint = %+v", out)
	}
	if string(out.Health.Extra.Resources) != `{"Allocators":[]}` {
		t.Errorf("health resources = %s", out.Health.Extra.Resources)
	}
	// and back: hcn -> hns -> hcn gives HNS the same JSON.
	again, err := toHCNEndpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := json.Marshal(again)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, string(back), read)
}

func TestEndpointsFromHCN(t *testing.T) {
	none, err := fromHCNEndpoints(nil)
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("fromHCNEndpoints(nil) = %#v, %v; want an empty list", none, err)
	}
	two, err := fromHCNEndpoints([]hcn.HostComputeEndpoint{{Id: "A", Name: "a"}, {Id: "B", Name: "b"}})
	if err != nil || len(two) != 2 || two[0].Id != "A" || two[1].Name != "b" {
		t.Errorf("fromHCNEndpoints = %+v, %v", two, err)
	}
}

func TestNamespaceRoundTrip(t *testing.T) {
	in := &hns.Namespace{
		Id:          "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
		NamespaceId: 7,
		Type:        "Host",
		Resources: []hns.NamespaceResource{
			{Type: "Endpoint", Data: json.RawMessage(`{"ID":"9D2C0E4B-6A1F-4C52-8E3B-77A1D2F0C9E1"}`)},
			{Type: "Container", Data: json.RawMessage(`{"ID":"c0ffee"}`)},
		},
		SchemaVersion: hns.V2,
	}
	h, err := toHCNNamespace(in)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != hcn.NamespaceTypeHost || h.Resources[0].Type != hcn.NamespaceResourceTypeEndpoint || h.NamespaceId != 7 {
		t.Errorf("hcn namespace = %+v", h)
	}
	out, err := fromHCNNamespace(h)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
	// containerd's empty template stays empty: no schema is invented.
	empty, err := toHCNNamespace(&hns.Namespace{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*empty, hcn.HostComputeNamespace{}) {
		t.Errorf("empty namespace became %+v", empty)
	}
}

func TestInvalidSettingsAreRefused(t *testing.T) {
	e := podEndpoint()
	e.Policies[0].Settings = json.RawMessage(`{"Exceptions":`)
	if _, err := toHCNEndpoint(e); err == nil {
		t.Error("an endpoint with truncated policy settings converted")
	}
}

func TestPolicies(t *testing.T) {
	ps := []hns.Policy{
		{Type: "ACL", Settings: json.RawMessage(`{"Protocols":"256","Action":"Block","Direction":"In","RuleType":"Switch","Priority":65500}`)},
		{Type: "HostRoute", Settings: json.RawMessage(`{}`)},
		{Type: "SDNROUTE"}, // HNS matches type names case-insensitively; keep them as given
	}
	ep := toHCNEndpointPolicies(ps)
	nw := toHCNNetworkPolicies(ps)
	if len(ep) != len(ps) || len(nw) != len(ps) {
		t.Fatalf("converted %d endpoint and %d network policies, want %d", len(ep), len(nw), len(ps))
	}
	for i, p := range ps {
		if string(ep[i].Type) != p.Type || string(ep[i].Settings) != string(p.Settings) {
			t.Errorf("endpoint policy %d = %+v, want %+v", i, ep[i], p)
		}
		if string(nw[i].Type) != p.Type || string(nw[i].Settings) != string(p.Settings) {
			t.Errorf("network policy %d = %+v, want %+v", i, nw[i], p)
		}
	}
	if ep[0].Type != hcn.ACL || nw[1].Type != hcn.HostRoute {
		t.Errorf("policy types = %s, %s; want hcn's ACL, HostRoute", ep[0].Type, nw[1].Type)
	}
	body, err := json.Marshal(hcn.PolicyEndpointRequest{Policies: ep[:1]})
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, string(body),
		`{"Policies":[{"Type":"ACL","Settings":{"Protocols":"256","Action":"Block","Direction":"In","RuleType":"Switch","Priority":65500}}]}`)
}

func TestCheckID(t *testing.T) {
	const id = "9D2C0E4B-6A1F-4C52-8E3B-77A1D2F0C9E1"
	for _, want := range []string{id, "9d2c0e4b-6a1f-4c52-8e3b-77a1d2f0c9e1", "{" + id + "}"} {
		if err := checkID("Endpoint", want, id); err != nil {
			t.Errorf("checkID(%q, %q) = %v", want, id, err)
		}
	}
	err := checkID("Endpoint", "", id)
	if !hns.IsNotFound(err) {
		t.Errorf("checkID for an empty ID = %v, want not found", err)
	}
	err = checkID("Network", "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11", id)
	var nf *hns.NotFoundError
	if !hns.IsNotFound(err) || !errors.As(err, &nf) || nf.Kind != "Network" || nf.ID != "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11" {
		t.Errorf("checkID for another object = %#v", err)
	}
}

func assertSameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs:\n got %s\nwant %s", got, want)
	}
}
