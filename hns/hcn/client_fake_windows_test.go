//go:build windows && fakehcn

package hcn

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// These tests run New() through the real hcn package against the fake
// computenetwork.dll: they check the calls and JSON that reach HNS, and that
// errors HNS returns reach the caller classified exactly as the simulator
// classifies them.

const (
	netID = "74519449-3C37-4F3E-9D6B-2F0C5A1B7E11"
	epID  = "9D2C0E4B-6A1F-4C52-8E3B-77A1D2F0C9E1"
	nsID  = "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"
)

var ctx = context.Background()

func TestFakeLookups(t *testing.T) {
	c, f := newFake(t)
	for _, tc := range []struct {
		name   string
		kind   string // Network, Endpoint, Namespace
		props  any
		filter map[string]string
		lookup func() (id string, err error)
	}{
		{"GetNetworkByName", "Network", hns.Network{Id: netID, Name: "Calico", Type: "Overlay"},
			map[string]string{"Name": "Calico"}, func() (string, error) {
				n, err := c.GetNetworkByName(ctx, "Calico")
				if err == nil && (n.Name != "Calico" || n.Type != "Overlay") {
					t.Errorf("network = %+v", n)
				}
				return idOf(n, err)
			}},
		{"GetNetworkByID", "Network", hns.Network{Id: netID, Name: "Calico"},
			map[string]string{"ID": strings.ToLower(netID)}, func() (string, error) {
				return idOf(c.GetNetworkByID(ctx, strings.ToLower(netID)))
			}},
		{"GetEndpointByName", "Endpoint", hns.Endpoint{Id: epID, Name: "c1_Calico", HostComputeNetwork: netID},
			map[string]string{"Name": "c1_Calico"}, func() (string, error) {
				e, err := c.GetEndpointByName(ctx, "c1_Calico")
				if err == nil && e.HostComputeNetwork != netID {
					t.Errorf("endpoint = %+v", e)
				}
				return idOf(e, err)
			}},
		{"GetEndpointByID", "Endpoint", hns.Endpoint{Id: epID, Name: "c1_Calico"},
			map[string]string{"ID": strings.ToLower(epID)}, func() (string, error) {
				return idOf(c.GetEndpointByID(ctx, strings.ToLower(epID)))
			}},
		{"GetNamespaceByID", "Namespace", hns.Namespace{Id: nsID, Type: "Host"},
			map[string]string{"ID": nsID}, func() (string, error) {
				return idOf(c.GetNamespaceByID(ctx, nsID))
			}},
		{"ListEndpointsOfNetwork", "Endpoint", hns.Endpoint{Id: epID, HostComputeNetwork: netID},
			map[string]string{"VirtualNetwork": netID}, func() (string, error) {
				es, err := c.ListEndpointsOfNetwork(ctx, netID)
				if err != nil {
					return "", err
				}
				if len(es) != 1 {
					t.Fatalf("ListEndpointsOfNetwork = %+v, want one endpoint", es)
				}
				return es[0].Id, nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.clearCalls()
			f.enumerate(strings.ToLower(idIn(tc.props)))
			f.properties(tc.props)
			id, err := tc.lookup()
			if err != nil {
				t.Fatal(err)
			}
			if id != idIn(tc.props) {
				t.Errorf("ID = %q, want %q", id, idIn(tc.props))
			}
			k := tc.kind
			if got := f.filter("HcnEnumerate" + k + "s"); !maps.Equal(got, tc.filter) {
				t.Errorf("filter = %v, want %v", got, tc.filter)
			}
			// One filtered query, then the one object it named.
			want := "HcnEnumerate" + k + "s HcnOpen" + k + " HcnQuery" + k + "Properties HcnClose" + k
			if f.calls() != want {
				t.Errorf("calls = %q, want %q", f.calls(), want)
			}
		})
	}
}

func TestFakeLookupsNotFound(t *testing.T) {
	c, f := newFake(t)
	f.enumerate() // nothing matches
	for _, tc := range []struct {
		lookup func() (any, error)
		want   hns.NotFoundError
	}{
		{func() (any, error) { return c.GetNetworkByName(ctx, "Calico") }, hns.NotFoundError{Kind: "Network", Name: "Calico"}},
		{func() (any, error) { return c.GetNetworkByID(ctx, netID) }, hns.NotFoundError{Kind: "Network", ID: netID}},
		{func() (any, error) { return c.GetEndpointByName(ctx, "c1_Calico") }, hns.NotFoundError{Kind: "Endpoint", Name: "c1_Calico"}},
		{func() (any, error) { return c.GetEndpointByID(ctx, epID) }, hns.NotFoundError{Kind: "Endpoint", ID: epID}},
		{func() (any, error) { return c.GetNamespaceByID(ctx, nsID) }, hns.NotFoundError{Kind: "Namespace", ID: nsID}},
	} {
		_, err := tc.lookup()
		var nf *hns.NotFoundError
		if !errors.As(err, &nf) || *nf != tc.want || !hns.IsNotFound(err) {
			t.Errorf("error = %#v, want %#v", err, &tc.want)
		}
	}
	es, err := c.ListEndpointsOfNetwork(ctx, netID)
	if err != nil || len(es) != 0 {
		t.Errorf("ListEndpointsOfNetwork = %v, %v; want no endpoints", es, err)
	}
}

// A lookup by ID that returns another object (an HNS that ignored the
// filter) is a miss, not that object.
func TestFakeLookupByIDChecksTheAnswer(t *testing.T) {
	c, f := newFake(t)
	f.enumerate(epID)
	f.properties(hns.Endpoint{Id: epID})
	other := "11111111-2222-3333-4444-555555555555"
	if e, err := c.GetEndpointByID(ctx, other); !hns.IsNotFound(err) {
		t.Errorf("GetEndpointByID(other) = %+v, %v; want not found", e, err)
	}
	f.properties(hns.Namespace{Id: nsID})
	if ns, err := c.GetNamespaceByID(ctx, ""); !hns.IsNotFound(err) {
		t.Errorf("GetNamespaceByID(\"\") = %+v, %v; want not found", ns, err)
	}
}

func TestFakeCreateEndpoint(t *testing.T) {
	c, f := newFake(t)
	f.properties(hns.Endpoint{Id: epID, Name: "6f1ce2_Calico", HostComputeNetwork: netID, MacAddress: "0E-2A-0A-F4-05-07"})
	e, err := c.CreateEndpoint(ctx, podEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	if e.Id != epID || e.Name != "6f1ce2_Calico" {
		t.Errorf("created = %+v", e)
	}
	assertSameJSON(t, f.arg("HcnCreateEndpoint"), podEndpointBody)
	if !strings.EqualFold(f.arg("HcnOpenNetwork"), netID) {
		t.Errorf("opened network %q, want %s", f.arg("HcnOpenNetwork"), netID)
	}
	const want = "HcnOpenNetwork HcnCreateEndpoint HcnQueryEndpointProperties HcnCloseEndpoint HcnCloseNetwork"
	if f.calls() != want {
		t.Errorf("calls = %q, want %q", f.calls(), want)
	}

	// Schema 2.0 unless the caller says otherwise.
	bare := &hns.Endpoint{Name: "bare", HostComputeNetwork: netID}
	if _, err := c.CreateEndpoint(ctx, bare); err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, f.arg("HcnCreateEndpoint"),
		`{"Name":"bare","HostComputeNetwork":"`+netID+`","Dns":{},"Health":{"Extra":{}},"SchemaVersion":{"Major":2,"Minor":0}}`)
	if bare.SchemaVersion != (hns.SchemaVersion{}) {
		t.Errorf("CreateEndpoint changed the caller's endpoint: %+v", bare)
	}
}

func TestFakeCreateEndpointRefusesNamespace(t *testing.T) {
	c, f := newFake(t)
	e := podEndpoint()
	e.HostComputeNamespace = nsID
	if _, err := c.CreateEndpoint(ctx, e); !errors.Is(err, errNamespaceReadOnly) {
		t.Errorf("CreateEndpoint with a namespace = %v, want %v", err, errNamespaceReadOnly)
	}
	if f.calls() != "" {
		t.Errorf("calls = %q, want none", f.calls())
	}
}

func TestFakeCreateNetwork(t *testing.T) {
	c, f := newFake(t)
	in := overlayNetwork()
	in.Id = ""
	f.properties(hns.Network{Id: netID, Name: "Calico", Type: "Overlay"})
	n, err := c.CreateNetwork(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if n.Id != netID {
		t.Errorf("created = %+v", n)
	}
	var sent hns.Network
	if err := json.Unmarshal([]byte(f.arg("HcnCreateNetwork")), &sent); err != nil {
		t.Fatal(err)
	}
	if sent.Name != "Calico" || sent.Type != "Overlay" || sent.Flags != 8 || sent.SchemaVersion != hns.V2 ||
		sent.Ipams[0].Subnets[0].Routes[0].NextHop != "10.244.5.1" || len(sent.Policies) != 2 {
		t.Errorf("sent %+v", sent)
	}
	if want := "HcnCreateNetwork HcnQueryNetworkProperties HcnCloseNetwork"; f.calls() != want {
		t.Errorf("calls = %q, want %q", f.calls(), want)
	}

	// hcn's own check, before any call: a subnet needs a default gateway.
	f.clearCalls()
	in.Ipams[0].Subnets[0].Routes = nil
	if _, err := c.CreateNetwork(ctx, in); err == nil || hns.Code(err) != 0 || f.calls() != "" {
		t.Errorf("CreateNetwork without a gateway = %v after calls %q", err, f.calls())
	}
}

func TestFakeCreateNamespace(t *testing.T) {
	c, f := newFake(t)
	f.properties(hns.Namespace{Id: nsID})
	ns, err := c.CreateNamespace(ctx, &hns.Namespace{Type: "Host", SchemaVersion: hns.V2})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Id != nsID {
		t.Errorf("created = %+v", ns)
	}
	assertSameJSON(t, f.arg("HcnCreateNamespace"), `{"Type":"Host","SchemaVersion":{"Major":2,"Minor":0}}`)
}

// The modify requests carry the envelopes of the reference (§1.4, §1.7).
func TestFakeModify(t *testing.T) {
	c, f := newFake(t)
	for _, tc := range []struct {
		name, object, fn, want string
		do                     func() error
	}{
		{"AttachEndpoint", nsID, "HcnModifyNamespace",
			`{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"` + epID + `"}}`,
			func() error { return c.AttachEndpoint(ctx, nsID, epID) }},
		{"DetachEndpoint", nsID, "HcnModifyNamespace",
			`{"ResourceType":"Endpoint","RequestType":"Remove","Settings":{"EndpointId":"` + epID + `"}}`,
			func() error { return c.DetachEndpoint(ctx, nsID, epID) }},
		{"AddNetworkPolicy", netID, "HcnModifyNetwork",
			`{"ResourceType":"Policy","RequestType":"Add","Settings":{"Policies":[{"Type":"HostRoute","Settings":{}}]}}`,
			func() error {
				return c.AddNetworkPolicy(ctx, netID, []hns.Policy{hns.NewPolicy(hns.HostRouteSetting{})})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.clearCalls()
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			assertSameJSON(t, f.arg(tc.fn), tc.want)
			kind := strings.TrimPrefix(tc.fn, "HcnModify")
			if !strings.EqualFold(f.arg("HcnOpen"+kind), tc.object) {
				t.Errorf("opened %s %q, want %s", kind, f.arg("HcnOpen"+kind), tc.object)
			}
			if want := "HcnOpen" + kind + " " + tc.fn + " HcnQuery" + kind + "Properties HcnClose" + kind; f.calls() != want {
				t.Errorf("calls = %q, want %q", f.calls(), want)
			}
		})
	}
}

func TestFakeDelete(t *testing.T) {
	c, f := newFake(t)
	for _, tc := range []struct {
		fn, id string
		del    func(string) error
	}{
		{"HcnDeleteNetwork", netID, func(id string) error { return c.DeleteNetwork(ctx, id) }},
		{"HcnDeleteEndpoint", epID, func(id string) error { return c.DeleteEndpoint(ctx, id) }},
		{"HcnDeleteNamespace", nsID, func(id string) error { return c.DeleteNamespace(ctx, id) }},
	} {
		f.clearCalls()
		if err := tc.del(strings.ToLower(tc.id)); err != nil {
			t.Fatalf("%s: %v", tc.fn, err)
		}
		if f.calls() != tc.fn || !strings.EqualFold(f.arg(tc.fn), tc.id) {
			t.Errorf("calls %q with %q, want %s with %s", f.calls(), f.arg(tc.fn), tc.fn, tc.id)
		}
		// Not a GUID: hcn refuses before calling HNS, and it is no HNS error.
		f.clearCalls()
		if err := tc.del("not-a-guid"); err == nil || hns.Code(err) != 0 || hns.IsNotFound(err) || f.calls() != "" {
			t.Errorf("%s(not-a-guid) = %v after calls %q", tc.fn, err, f.calls())
		}
	}
}

func TestFakeVersion(t *testing.T) {
	c, f := newFake(t)
	f.set("FAKEHNS_RESPONSE", `{"Success":true,"Output":{"Major":15,"Minor":4}}`)
	v, err := c.Version(ctx)
	if err != nil || v != (hns.Version{Major: 15, Minor: 4}) {
		t.Errorf("Version = %+v, %v; want 15.4", v, err)
	}
	if f.arg("HNSCall") != "/globals/version" {
		t.Errorf("HNSCall path = %q", f.arg("HNSCall"))
	}
	f.set("FAKEHNS_RESPONSE", `{"Success":false,"Error":"Unsupported"}`)
	if _, err := c.Version(ctx); err == nil || hns.Code(err) != 0 || !strings.Contains(err.Error(), "Unsupported") {
		t.Errorf("Version on HNS failure = %v", err)
	}
}

func TestFakeCancelledContext(t *testing.T) {
	c, f := newFake(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.DeleteEndpoint(cctx, epID); !errors.Is(err, context.Canceled) || f.calls() != "" {
		t.Errorf("DeleteEndpoint with a cancelled context = %v after calls %q", err, f.calls())
	}
}

func idIn(v any) string {
	switch o := v.(type) {
	case hns.Network:
		return o.Id
	case hns.Endpoint:
		return o.Id
	case hns.Namespace:
		return o.Id
	}
	return ""
}

func idOf[T hns.Network | hns.Endpoint | hns.Namespace](o *T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return idIn(*o), nil
}
