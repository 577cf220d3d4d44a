//go:build windows && fakehcn

package hcn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

// classes lists the hns classifiers an error satisfies.
func classes(err error) string {
	var cs []string
	for _, c := range []struct {
		name string
		is   func(error) bool
	}{
		{"NotFound", hns.IsNotFound},
		{"AlreadyExists", hns.IsAlreadyExists},
		{"Conflict", hns.IsConflict},
		{"InvalidConfig", hns.IsInvalidConfig},
		{"ServiceUnavailable", hns.IsServiceUnavailable},
	} {
		if c.is(err) {
			cs = append(cs, c.name)
		}
	}
	return strings.Join(cs, ",")
}

// Errors HNS returns through the real hcn code reach the caller as the
// hns.Error the simulator would return for the same call and code: same
// operation, code and text, hence the same classification.
func TestFakeHNSErrors(t *testing.T) {
	c, f := newFake(t)
	for _, tc := range []struct {
		method string
		fn     string // the hcn function that fails
		hr     uint32 // the HRESULT HNS returns
		code   uint32 // the code hcn reports
		class  string
		do     func() error
	}{
		{"GetNetworkByName", "HcnEnumerateNetworks", hns.NetworkNotFound, hns.NetworkNotFound, "NotFound",
			func() error { _, err := c.GetNetworkByName(ctx, "Calico"); return err }},
		{"GetNamespaceByID", "HcnOpenNamespace", 0x80070490, hns.ErrorNotFound, "NotFound",
			func() error { _, err := c.GetNamespaceByID(ctx, nsID); return err }},
		{"DeleteEndpoint", "HcnDeleteEndpoint", hns.EndpointNotFound, hns.EndpointNotFound, "NotFound",
			func() error { return c.DeleteEndpoint(ctx, epID) }},
		{"DeleteEndpoint", "HcnDeleteEndpoint", 0x80070490, hns.ErrorNotFound, "NotFound",
			func() error { return c.DeleteEndpoint(ctx, epID) }},
		{"CreateEndpoint", "HcnOpenNetwork", hns.NetworkNotFound, hns.NetworkNotFound, "NotFound",
			func() error { _, err := c.CreateEndpoint(ctx, podEndpoint()); return err }},
		{"CreateEndpoint", "HcnCreateEndpoint", hns.AddrInvalidOrReserved, hns.AddrInvalidOrReserved, "Conflict",
			func() error { _, err := c.CreateEndpoint(ctx, podEndpoint()); return err }},
		{"CreateEndpoint", "HcnCreateEndpoint", hns.InvalidIP, hns.InvalidIP, "InvalidConfig",
			func() error { _, err := c.CreateEndpoint(ctx, podEndpoint()); return err }},
		{"CreateEndpoint", "HcnCreateEndpoint", 0x80071392, hns.ErrorAlreadyExists, "AlreadyExists",
			func() error { _, err := c.CreateEndpoint(ctx, podEndpoint()); return err }},
		{"CreateNetwork", "HcnCreateNetwork", hns.NetworkAlreadyExists, hns.NetworkAlreadyExists, "AlreadyExists",
			func() error { _, err := c.CreateNetwork(ctx, overlayNetwork()); return err }},
		{"CreateNamespace", "HcnCreateNamespace", 0x80070057, hns.ErrorInvalidParameter, "InvalidConfig",
			func() error { _, err := c.CreateNamespace(ctx, &hns.Namespace{}); return err }},
		{"DeleteNetwork", "HcnDeleteNetwork", hns.EntityHasReferences, hns.EntityHasReferences, "Conflict",
			func() error { return c.DeleteNetwork(ctx, netID) }},
		{"AttachEndpoint", "HcnModifyNamespace", hns.EndpointNamespaceExists, hns.EndpointNamespaceExists, "Conflict",
			func() error { return c.AttachEndpoint(ctx, nsID, epID) }},
		{"DetachEndpoint", "HcnModifyNamespace", hns.EndpointNotAttached, hns.EndpointNotAttached, "",
			func() error { return c.DetachEndpoint(ctx, nsID, epID) }},
		{"AddNetworkPolicy", "HcnModifyNetwork", hns.InvalidPolicyType, hns.InvalidPolicyType, "InvalidConfig",
			func() error { return c.AddNetworkPolicy(ctx, netID, []hns.Policy{{Type: "Bogus"}}) }},
		{"GetEndpointByName", "HcnEnumerateEndpoints", hns.ServiceStopping, hns.ServiceStopping, "ServiceUnavailable",
			func() error { _, err := c.GetEndpointByName(ctx, "c1_Calico"); return err }},
		{"ListEndpointsOfNetwork", "HcnEnumerateEndpoints", 0x80070426, hns.ServiceNotStarted, "ServiceUnavailable",
			func() error { _, err := c.ListEndpointsOfNetwork(ctx, netID); return err }},
	} {
		t.Run(fmt.Sprintf("%s/%s/%#x", tc.method, tc.fn, tc.hr), func(t *testing.T) {
			resetFake()
			f.enumerate(nsID)
			f.properties(hns.Namespace{Id: nsID})
			text := hns.CodeText(tc.code)
			f.fail(tc.fn, tc.hr, text+" ") // HNS ends its texts with a space
			err := tc.do()
			// hcn names its calls hcnOpenNamespace, ... for HcnOpenNamespace.
			want := hns.NewError("h"+tc.fn[1:], tc.code)
			if he, ok := err.(*hns.Error); !ok || *he != *want {
				t.Fatalf("error = %#v, want %#v", err, want)
			}
			if err.Error() != want.Error() {
				t.Errorf("text = %q, want %q", err, want)
			}
			if got := classes(err); got != tc.class {
				t.Errorf("classified as %q, want %q", got, tc.class)
			}
		})
	}
}

// The code the adapter reports is the one hcn keeps in its HcnError.
func TestFakeCodeMatchesHCN(t *testing.T) {
	_, f := newFake(t)
	for _, hr := range []uint32{0x80070490, 0x80070426, hns.NetworkNotFound, hns.EndpointNamespaceExists, 0x8000ffff} {
		f.fail("HcnEnumerateNetworks", hr, "")
		raw := func() error { _, err := hcn.GetNetworkByName("Calico"); return err }()
		code := hns.Code(convertError("GetNetworkByName", raw))
		if code == 0 || !hcn.CheckErrorWithCode(raw, hcn.ErrorCode(code)) {
			t.Errorf("HRESULT %#x: adapter code %#x, hcn's error %v", hr, code, raw)
		}
	}
	f.fail("HcnEnumerateNetworks", 0x80070490, "")
	raw := func() error { _, err := hcn.GetNetworkByName("Calico"); return err }()
	if !hcn.IsElementNotFoundError(raw) || !hns.IsNotFound(convertError("GetNetworkByName", raw)) {
		t.Errorf("0x490: hcn says %v, adapter says %v", hcn.IsElementNotFoundError(raw), convertError("GetNetworkByName", raw))
	}
}

// hcn's v1 call (the version query) fails with a bare hcserror.HcsError,
// without an ErrorRecord.
func TestFakeVersionError(t *testing.T) {
	c, f := newFake(t)
	f.fail("HNSCall", 0x80070426, "")
	_, err := c.Version(ctx)
	want := hns.NewError("hnsCall", hns.ServiceNotStarted)
	if he, ok := err.(*hns.Error); !ok || *he != *want {
		t.Fatalf("error = %#v, want %#v", err, want)
	}
	if !hns.IsServiceUnavailable(err) {
		t.Errorf("%v is not service-unavailable", err)
	}
}
