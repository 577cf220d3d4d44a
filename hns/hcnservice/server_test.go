package hcnservice

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// These tests speak the shim's wire protocol over a real loopback socket to
// a server on a real simulator: the HCN semantics the C shim relies on,
// without Wine. The same paths run end to end under Wine in
// hns/hcn/service_windows_test.go and scripts/demo-windows.sh.

type testService struct {
	t   *testing.T
	sim *sim.Sim
	srv *Server
	l   net.Listener
}

func newService(t *testing.T) *testService {
	t.Helper()
	s, err := sim.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := New(s)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &testService{t: t, sim: s, srv: srv, l: l}
}

// call makes one DLL call the way the shim does: one connection, one
// request, the response read to EOF.
func (ts *testService) call(op, id string, h uint64, arg string) *Response {
	ts.t.Helper()
	c, err := net.Dial("tcp", ts.l.Addr().String())
	if err != nil {
		ts.t.Fatal(err)
	}
	defer c.Close()
	if err := WriteRequest(c, &Request{Op: op, ID: id, Handle: h, PID: 7, Arg: arg}); err != nil {
		ts.t.Fatal(err)
	}
	resp, err := ReadResponse(bufio.NewReader(c))
	if err != nil {
		ts.t.Fatalf("%s: %v", op, err)
	}
	return resp
}

func (ts *testService) ok(op, id string, h uint64, arg string) *Response {
	ts.t.Helper()
	r := ts.call(op, id, h, arg)
	if r.HResult != 0 || r.Result != "" {
		ts.t.Fatalf("%s(%s %d %s) = 0x%08x %s", op, id, h, arg, r.HResult, r.Result)
	}
	return r
}

func query(filter map[string]string) string {
	f, _ := json.Marshal(filter)
	q, _ := json.Marshal(map[string]any{"SchemaVersion": hns.V2, "Filter": string(f)})
	return string(q)
}

func overlay(name string) string {
	b, _ := json.Marshal(sim.OverlayNetwork(sim.OverlaySpec{
		Name: name, Subnet: netip.MustParsePrefix("10.244.5.0/26"), ManagementIP: netip.MustParseAddr("10.0.0.4"),
	}))
	return string(b)
}

func ids(t *testing.T, out string) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("id list %q: %v", out, err)
	}
	return v
}

// A pod's life as hcsshim's hcn package drives it: create the network,
// find it by name, create an endpoint on its handle, attach it to a
// namespace, apply a policy, and tear everything down, closing every
// handle.
func TestLifecycle(t *testing.T) {
	ts := newService(t)
	const zero = "00000000-0000-0000-0000-000000000000"

	nh := ts.ok("HcnCreateNetwork", zero, 0, overlay("Calico")).Handle
	var n hns.Network
	json.Unmarshal([]byte(ts.ok("HcnQueryNetworkProperties", "", nh, "").Out), &n)
	if n.Name != "Calico" || n.Id == "" {
		t.Fatalf("network = %+v", n)
	}
	ts.ok("HcnCloseNetwork", "", nh, "")

	if got := ids(t, ts.ok("HcnEnumerateNetworks", "", 0, query(map[string]string{"Name": "Calico"})).Out); len(got) != 1 || got[0] != n.Id {
		t.Fatalf("enumerate by name = %v, want [%s]", got, n.Id)
	}
	if got := ids(t, ts.ok("HcnEnumerateNetworks", "", 0, query(map[string]string{"Name": "Other"})).Out); len(got) != 0 {
		t.Fatalf("enumerate missing name = %v, want []", got)
	}

	nh = ts.ok("HcnOpenNetwork", strings.ToLower(n.Id), 0, "").Handle
	eh := ts.ok("HcnCreateEndpoint", zero, nh, `{"Name":"c1_Calico","IpConfigurations":[{"IpAddress":"10.244.5.7"}],"SchemaVersion":{"Major":2}}`).Handle
	var e hns.Endpoint
	json.Unmarshal([]byte(ts.ok("HcnQueryEndpointProperties", "", eh, "").Out), &e)
	if e.HostComputeNetwork != n.Id || e.Name != "c1_Calico" {
		t.Fatalf("endpoint = %+v; want it on the network of the handle", e)
	}
	ts.ok("HcnCloseEndpoint", "", eh, "")
	ts.ok("HcnCloseNetwork", "", nh, "")
	if got := ids(t, ts.ok("HcnEnumerateEndpoints", "", 0, query(map[string]string{"VirtualNetwork": n.Id})).Out); len(got) != 1 {
		t.Fatalf("endpoints of network = %v", got)
	}

	sh := ts.ok("HcnCreateNamespace", zero, 0, `{"Type":"Host","SchemaVersion":{"Major":2}}`).Handle
	var ns hns.Namespace
	json.Unmarshal([]byte(ts.ok("HcnQueryNamespaceProperties", "", sh, "").Out), &ns)
	ts.ok("HcnModifyNamespace", "", sh, `{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"`+e.Id+`"}}`)
	ts.ok("HcnCloseNamespace", "", sh, "")
	got, err := ts.sim.GetEndpointByID(context.Background(), e.Id)
	if err != nil || got.HostComputeNamespace != ns.Id {
		t.Fatalf("endpoint after attach = %+v, %v", got, err)
	}

	ts.ok("HcnDeleteEndpoint", e.Id, 0, "")
	ts.ok("HcnDeleteNamespace", ns.Id, 0, "")
	ts.ok("HcnDeleteNetwork", n.Id, 0, "")
	if open := ts.srv.OpenHandles(); len(open) != 0 {
		t.Errorf("handles left open: %v", open)
	}
}

// Failures come back as HNS returns them: the HRESULT (Win32 codes in
// FACILITY_WIN32) and the result record with HNS's text.
func TestErrors(t *testing.T) {
	ts := newService(t)
	const missing = "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"
	nh := ts.ok("HcnCreateNetwork", "", 0, overlay("Calico")).Handle
	for _, tc := range []struct {
		name    string
		op, id  string
		handle  uint64
		arg     string
		hresult uint32
		text    string
	}{
		{"open missing network", "HcnOpenNetwork", missing, 0, "", 0x803b0001, "The network was not found."},
		{"open missing endpoint", "HcnOpenEndpoint", missing, 0, "", 0x803b0002, "The endpoint was not found."},
		{"open missing namespace", "HcnOpenNamespace", missing, 0, "", 0x80070490, "Element not found."},
		{"delete missing endpoint", "HcnDeleteEndpoint", missing, 0, "", 0x803b0002, "The endpoint was not found."},
		{"delete missing namespace", "HcnDeleteNamespace", missing, 0, "", 0x80070490, "Element not found."},
		{"duplicate network", "HcnCreateNetwork", "", 0, overlay("Calico"), 0x803b0010, "A network with this name already exists."},
		{"bad settings JSON", "HcnCreateEndpoint", "", nh, "{", 0x803b001b, "The JSON document is invalid."},
		{"unknown policy", "HcnCreateEndpoint", "", nh, `{"Name":"x","Policies":[{"Type":"Bogus","Settings":{}}]}`, 0x803b000e, "Invalid Policy Type."},
		{"never opened handle", "HcnQueryEndpointProperties", "", 999, "", 0x80070006, "The handle is invalid."},
		{"handle of another kind", "HcnCloseEndpoint", "", nh, "", 0x80070006, "The handle is invalid."},
		{"unknown filter", "HcnEnumerateEndpoints", "", 0, query(map[string]string{"Color": "red"}), 0x80070057, `filter "Color"`},
		{"unknown call", "HcnCreateLoadBalancer", "", 0, "{}", 0x80004001, "unknown call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.call(tc.op, tc.id, tc.handle, tc.arg)
			if r.HResult != tc.hresult {
				t.Errorf("HRESULT = 0x%08x, want 0x%08x (%s)", r.HResult, tc.hresult, r.Result)
			}
			var rec struct {
				Success   bool
				Error     string
				ErrorCode uint32
			}
			if err := json.Unmarshal([]byte(r.Result), &rec); err != nil {
				t.Fatalf("result record %q: %v", r.Result, err)
			}
			if rec.Success || rec.ErrorCode != tc.hresult || !strings.Contains(rec.Error, tc.text) {
				t.Errorf("result record = %+v, want ErrorCode 0x%x and text %q", rec, tc.hresult, tc.text)
			}
		})
	}
}

// A fault armed in the simulator (as `hnsctl fault inject` arms it) fires on
// the HCN call behind that hns.Client method, once.
func TestFaultsReachTheCaller(t *testing.T) {
	ts := newService(t)
	nh := ts.ok("HcnCreateNetwork", "", 0, overlay("Calico")).Handle
	if err := ts.sim.InjectFault(context.Background(), sim.KindCreateEndpoint, hns.ServiceStopping, 1); err != nil {
		t.Fatal(err)
	}
	if r := ts.call("HcnCreateEndpoint", "", nh, `{"Name":"c1_Calico"}`); r.HResult != hns.ServiceStopping {
		t.Fatalf("CreateEndpoint under a fault = 0x%08x %s", r.HResult, r.Result)
	}
	eh := ts.ok("HcnCreateEndpoint", "", nh, `{"Name":"c1_Calico"}`).Handle
	ts.ok("HcnCloseEndpoint", "", eh, "")

	if err := ts.sim.InjectFault(context.Background(), sim.KindGetNetworkByName, hns.ErrorNotFound, 1); err != nil {
		t.Fatal(err)
	}
	if r := ts.call("HcnEnumerateNetworks", "", 0, query(map[string]string{"Name": "Calico"})); r.HResult != 0x80070490 {
		t.Fatalf("lookup under a fault = 0x%08x %s", r.HResult, r.Result)
	}
}

func TestVersion(t *testing.T) {
	ts := newService(t)
	var resp struct {
		Success bool
		Output  hns.Version
	}
	out := ts.ok("HNSCall", "", 0, "GET /globals/version").Out
	if err := json.Unmarshal([]byte(out), &resp); err != nil || !resp.Success {
		t.Fatalf("HNSCall version = %s, %v", out, err)
	}
	want, _ := ts.sim.Version(context.Background())
	if resp.Output != want {
		t.Errorf("version = %+v, want %+v", resp.Output, want)
	}
	out = ts.ok("HNSCall", "", 0, "POST /networks").Out
	if !strings.Contains(out, `"Success":false`) {
		t.Errorf("unsupported HNSCall = %s, want Success false", out)
	}
}

// A malformed request gets no response: the shim then reports HNS as
// unavailable rather than inventing an answer.
func TestMalformedRequest(t *testing.T) {
	ts := newService(t)
	for _, raw := range []string{"HcnOpenNetwork\n", "HcnOpenNetwork - x 1 0\n", "HcnOpenNetwork - 0 1 99999999999\n"} {
		c, err := net.Dial("tcp", ts.l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(raw))
		if b, _ := bufio.NewReader(c).ReadString('\n'); b != "" {
			t.Errorf("request %q answered %q, want the connection closed", raw, b)
		}
		c.Close()
	}
}
