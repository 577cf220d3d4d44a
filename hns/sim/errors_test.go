package sim

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/calico-win/cni/hns"
)

// The texts HNS and hcn print, verbatim.
const (
	addrReserved        = `hcnCreateEndpoint failed in Win32: An address provided is invalid or reserved. (0x803b002f) {"Success":false,"Error":"An address provided is invalid or reserved. ","ErrorCode":2151350319}`
	invalidIP           = `hcnCreateEndpoint failed in Win32: IP address is either invalid or not part of any configured subnet(s). (0x803b001e) {"Success":false,"Error":"IP address is either invalid or not part of any configured subnet(s). ","ErrorCode":2151350302}`
	policyType          = `hcnCreateEndpoint failed in Win32: Invalid Policy Type. (0x803b000e) {"Success":false,"Error":"Invalid Policy Type. ","ErrorCode":2151350286}`
	badPolicy           = `hcnCreateEndpoint failed in Win32: The provided policy configuration is invalid or missing parameters. (0x803b000d) {"Success":false,"Error":"The provided policy configuration is invalid or missing parameters. ","ErrorCode":2151350285}`
	portExists          = `hcnCreateEndpoint failed in Win32: The specified port already exists. (0x803b0013) {"Success":false,"Error":"The specified port already exists. ","ErrorCode":2151350291}`
	openNetwork         = `hcnOpenNetwork failed in Win32: The network was not found. (0x803b0001) {"Success":false,"Error":"The network was not found. ","ErrorCode":2151350273}`
	networkExists       = `hcnCreateNetwork failed in Win32: A network with this name already exists. (0x803b0010) {"Success":false,"Error":"A network with this name already exists. ","ErrorCode":2151350288}`
	networkParam        = `hcnCreateNetwork failed in Win32: The parameter is incorrect. (0x57) {"Success":false,"Error":"The parameter is incorrect. ","ErrorCode":2147942487}`
	deleteEndpoint      = `hcnDeleteEndpoint failed in Win32: The endpoint was not found. (0x803b0002) {"Success":false,"Error":"The endpoint was not found. ","ErrorCode":2151350274}`
	deleteNetwork       = `hcnDeleteNetwork failed in Win32: The network was not found. (0x803b0001) {"Success":false,"Error":"The network was not found. ","ErrorCode":2151350273}`
	deleteNamespace     = `hcnDeleteNamespace failed in Win32: Element not found. (0x490) {"Success":false,"Error":"Element not found. ","ErrorCode":2147943568}`
	openNamespace       = `hcnOpenNamespace failed in Win32: Element not found. (0x490) {"Success":false,"Error":"Element not found. ","ErrorCode":2147943568}`
	modifyNsEndpoint    = `hcnModifyNamespace failed in Win32: The endpoint was not found. (0x803b0002) {"Success":false,"Error":"The endpoint was not found. ","ErrorCode":2151350274}`
	modifyNsExists      = `hcnModifyNamespace failed in Win32: This requested operation is invalid as endpoint is already part of a network namespace. (0x803b002b) {"Success":false,"Error":"This requested operation is invalid as endpoint is already part of a network namespace. ","ErrorCode":2151350315}`
	modifyNsNotAttached = `hcnModifyNamespace failed in Win32: This requested operation is invalid as endpoint is not attached. (0x803b0034) {"Success":false,"Error":"This requested operation is invalid as endpoint is not attached. ","ErrorCode":2151350324}`
	openEndpoint        = `hcnOpenEndpoint failed in Win32: The endpoint was not found. (0x803b0002) {"Success":false,"Error":"The endpoint was not found. ","ErrorCode":2151350274}`
	modifyNetworkType   = `hcnModifyNetwork failed in Win32: Invalid Policy Type. (0x803b000e) {"Success":false,"Error":"Invalid Policy Type. ","ErrorCode":2151350286}`
	modifyNetworkPolicy = `hcnModifyNetwork failed in Win32: The provided policy configuration is invalid or missing parameters. (0x803b000d) {"Success":false,"Error":"The provided policy configuration is invalid or missing parameters. ","ErrorCode":2151350285}`
)

const missingID = "0B5E5E3A-0000-4000-8000-000000000001"

// fixture is a node as calico-node leaves it (network 10.244.5.0/26, host
// endpoint .2), plus pod endpoint A at .10 attached to namespace NS1, pod
// endpoint B at .11 (unattached, holding TCP host port 8080), a remote
// endpoint at .20 and an empty namespace NS2.
type fixture struct {
	s         *Sim
	net       *hns.Network
	a, b      *hns.Endpoint
	ns1, ns2  *hns.Namespace
	remoteIP  string
	subnet    netip.Prefix
	networkID string
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{s: openSim(t, opts...), subnet: netip.MustParsePrefix("10.244.5.0/26"), remoteIP: "10.244.5.20"}
	var err error
	f.net, err = f.s.SetupOverlay(ctx, OverlaySpec{Name: "Calico", Subnet: f.subnet, ManagementIP: netip.MustParseAddr("10.0.0.4")}, 0)
	check(t, "SetupOverlay", err)
	f.networkID = f.net.Id
	f.a, err = f.s.CreateEndpoint(ctx, f.endpoint("a_Calico", "10.244.5.10"))
	check(t, "CreateEndpoint(a)", err)
	b := f.endpoint("b_Calico", "10.244.5.11")
	b.Policies = []hns.Policy{portMap(8080)}
	f.b, err = f.s.CreateEndpoint(ctx, b)
	check(t, "CreateEndpoint(b)", err)
	remote := f.endpoint("remote", f.remoteIP)
	remote.Flags = hns.EndpointFlagRemote
	_, err = f.s.CreateEndpoint(ctx, remote)
	check(t, "CreateEndpoint(remote)", err)
	f.ns1, err = f.s.CreateNamespace(ctx, &hns.Namespace{})
	check(t, "CreateNamespace", err)
	f.ns2, err = f.s.CreateNamespace(ctx, &hns.Namespace{})
	check(t, "CreateNamespace", err)
	check(t, "AttachEndpoint", f.s.AttachEndpoint(ctx, f.ns1.Id, f.a.Id))
	return f
}

func (f *fixture) endpoint(name, ip string, policies ...hns.Policy) *hns.Endpoint {
	return &hns.Endpoint{Name: name, HostComputeNetwork: f.networkID,
		IpConfigurations: []hns.IpConfig{{IpAddress: ip}}, Policies: policies}
}

func portMap(port int) hns.Policy {
	s, _ := json.Marshal(map[string]int{"Protocol": 6, "InternalPort": 80, "ExternalPort": port})
	return hns.Policy{Type: "PortMapping", Settings: s}
}

func pol(typ, settings string) hns.Policy {
	return hns.Policy{Type: typ, Settings: json.RawMessage(settings)}
}

func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestErrorTexts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	create := func(e *hns.Endpoint) func() error {
		return func() error { _, err := f.s.CreateEndpoint(ctx, e); return err }
	}
	createNet := func(n *hns.Network) func() error {
		return func() error { _, err := f.s.CreateNetwork(ctx, n); return err }
	}
	withNamespace := f.endpoint("ro", "10.244.5.30")
	withNamespace.HostComputeNamespace = f.ns2.Id
	noDefault := OverlayNetwork(OverlaySpec{Name: "NoDefault", Subnet: netip.MustParsePrefix("10.9.0.0/24")})
	noDefault.Ipams[0].Subnets[0].Routes[0].DestinationPrefix = "10.0.0.0/8"
	noHop := OverlayNetwork(OverlaySpec{Name: "NoHop", Subnet: netip.MustParsePrefix("10.9.0.0/24")})
	noHop.Ipams[0].Subnets[0].Routes[0].NextHop = ""
	badType := OverlayNetwork(OverlaySpec{Name: "BadType", Subnet: netip.MustParsePrefix("10.9.0.0/24")})
	badType.Type = "Hyperloop"

	tests := []struct {
		name string
		call func() error
		want string
		is   func(error) bool // the classifier that must hold
	}{
		{"address held by a local endpoint", create(f.endpoint("x", "10.244.5.10")), addrReserved, hns.IsConflict},
		{"address held by a remote endpoint", create(f.endpoint("x", f.remoteIP)), addrReserved, hns.IsConflict},
		{"address held by the host endpoint", create(f.endpoint("x", "10.244.5.2")), addrReserved, hns.IsConflict},
		{"gateway address", create(f.endpoint("x", "10.244.5.1")), addrReserved, hns.IsConflict},
		{"network address", create(f.endpoint("x", "10.244.5.0")), addrReserved, hns.IsConflict},
		{"broadcast address", create(f.endpoint("x", "10.244.5.63")), addrReserved, hns.IsConflict},
		{"address outside the subnet", create(f.endpoint("x", "10.244.6.10")), invalidIP, hns.IsInvalidConfig},
		{"not an address", create(f.endpoint("x", "10.244.5.300")), invalidIP, hns.IsInvalidConfig},
		{"unknown policy type", create(f.endpoint("x", "10.244.5.30", pol("Teleport", `{}`))), policyType, hns.IsInvalidConfig},
		{"v1 ROUTE policy", create(f.endpoint("x", "10.244.5.30", pol("ROUTE", `{"DestinationPrefix":"10.96.0.0/12"}`))), badPolicy, hns.IsInvalidConfig},
		{"v1 PA policy", create(f.endpoint("x", "10.244.5.30", pol("PA", `{"PA":"10.0.0.4"}`))), badPolicy, hns.IsInvalidConfig},
		{"OutBoundNAT bad exception", create(f.endpoint("x", "10.244.5.30", pol(hns.OutBoundNAT, `{"Exceptions":["10.96.0.0/12","bogus"]}`))), badPolicy, hns.IsInvalidConfig},
		{"OutBoundNAT exceptions not a list", create(f.endpoint("x", "10.244.5.30", pol(hns.OutBoundNAT, `{"Exceptions":"10.96.0.0/12"}`))), badPolicy, hns.IsInvalidConfig},
		{"settings not an object", create(f.endpoint("x", "10.244.5.30", pol(hns.OutBoundNAT, `[1]`))), badPolicy, hns.IsInvalidConfig},
		{"SDNRoute without prefix", create(f.endpoint("x", "10.244.5.30", pol(hns.SDNRoute, `{"NeedEncap":true}`))), badPolicy, hns.IsInvalidConfig},
		{"ACL unknown action", create(f.endpoint("x", "10.244.5.30", pol(hns.ACL, `{"Action":"Drop","Direction":"In"}`))), badPolicy, hns.IsInvalidConfig},
		{"ACL numeric protocols", create(f.endpoint("x", "10.244.5.30", pol(hns.ACL, `{"Action":"Block","Direction":"In","Protocols":256}`))), badPolicy, hns.IsInvalidConfig},
		{"ACL protocol out of range", create(f.endpoint("x", "10.244.5.30", pol(hns.ACL, `{"Action":"Block","Direction":"In","Protocols":"300"}`))), badPolicy, hns.IsInvalidConfig},
		{"ProviderAddress not an address", create(f.endpoint("x", "10.244.5.30", pol(hns.ProviderAddress, `{"ProviderAddress":"node1"}`))), badPolicy, hns.IsInvalidConfig},
		{"host port taken", create(f.endpoint("x", "10.244.5.30", portMap(8080))), portExists, hns.IsAlreadyExists},
		{"host port twice in one request", create(f.endpoint("x", "10.244.5.30", portMap(9090), portMap(9090))), portExists, hns.IsAlreadyExists},
		{"endpoint on a missing network", create(&hns.Endpoint{Name: "x", HostComputeNetwork: missingID}), openNetwork, hns.IsNotFound},
		{"namespace set on create", create(withNamespace), "endpoint create error, endpoint json HostComputeNamespace is read only and should not be set", nil},
		{"network ID not a GUID", create(&hns.Endpoint{Name: "x", HostComputeNetwork: "Calico"}), "invalid network ID", nil},
		{"network name taken", createNet(OverlayNetwork(OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.9.0.0/24")})), networkExists, hns.IsAlreadyExists},
		{"network without default gateway", createNet(noDefault), "network create error, no default gateway", nil},
		{"network route without next hop", createNet(noHop), "network create error, subnet has address prefix but no gateway specified", nil},
		{"network type unknown", createNet(badType), networkParam, hns.IsInvalidConfig},
		{"delete missing endpoint", func() error { return f.s.DeleteEndpoint(ctx, missingID) }, deleteEndpoint, hns.IsNotFound},
		{"delete endpoint ID not a GUID", func() error { return f.s.DeleteEndpoint(ctx, "a_Calico") }, "invalid endpoint ID", nil},
		{"delete missing network", func() error { return f.s.DeleteNetwork(ctx, missingID) }, deleteNetwork, hns.IsNotFound},
		{"delete missing namespace", func() error { return f.s.DeleteNamespace(ctx, missingID) }, deleteNamespace, hns.IsNotFound},
		{"delete namespace ID not a GUID", func() error { return f.s.DeleteNamespace(ctx, `C:\netns`) }, "invalid namespace ID", nil},
		{"attach to missing namespace", func() error { return f.s.AttachEndpoint(ctx, missingID, f.b.Id) }, openNamespace, hns.IsNotFound},
		{"attach to namespace ID not a GUID", func() error { return f.s.AttachEndpoint(ctx, "/var/run/netns/x", f.b.Id) }, "invalid namespace ID", nil},
		{"attach missing endpoint", func() error { return f.s.AttachEndpoint(ctx, f.ns2.Id, missingID) }, modifyNsEndpoint, hns.IsNotFound},
		{"attach attached endpoint", func() error { return f.s.AttachEndpoint(ctx, f.ns2.Id, f.a.Id) }, modifyNsExists, hns.IsConflict},
		{"detach unattached endpoint", func() error { return f.s.DetachEndpoint(ctx, f.ns1.Id, f.b.Id) }, modifyNsNotAttached, nil},
		{"detach from the wrong namespace", func() error { return f.s.DetachEndpoint(ctx, f.ns2.Id, f.a.Id) }, modifyNsNotAttached, nil},
		{"detach from missing namespace", func() error { return f.s.DetachEndpoint(ctx, missingID, f.a.Id) }, openNamespace, hns.IsNotFound},
		{"unknown network policy", func() error {
			return f.s.AddNetworkPolicy(ctx, f.networkID, []hns.Policy{pol("HostRoutes", `{}`)})
		}, modifyNetworkType, hns.IsInvalidConfig},
		{"HostRoute with settings", func() error {
			return f.s.AddNetworkPolicy(ctx, f.networkID, []hns.Policy{pol(hns.HostRoute, `{"Enable":true}`)})
		}, modifyNetworkPolicy, hns.IsInvalidConfig},
		{"policy on missing network", func() error {
			return f.s.AddNetworkPolicy(ctx, missingID, []hns.Policy{pol(hns.HostRoute, `{}`)})
		}, openNetwork, hns.IsNotFound},
		{"network by name", func() error { _, err := f.s.GetNetworkByName(ctx, "calico"); return err }, `Network name "calico" not found`, hns.IsNotFound},
		{"network by ID", func() error { _, err := f.s.GetNetworkByID(ctx, missingID); return err }, `Network ID "` + missingID + `" not found`, hns.IsNotFound},
		{"endpoint by name", func() error { _, err := f.s.GetEndpointByName(ctx, "c_Calico"); return err }, `Endpoint name "c_Calico" not found`, hns.IsNotFound},
		{"endpoint by ID", func() error { _, err := f.s.GetEndpointByID(ctx, "nope"); return err }, `Endpoint ID "nope" not found`, hns.IsNotFound},
		{"namespace by ID", func() error { _, err := f.s.GetNamespaceByID(ctx, missingID); return err }, `Namespace ID "` + missingID + `" not found`, hns.IsNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatalf("err = nil, want %s", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("err = %s\nwant  %s", got, tt.want)
			}
			if tt.is != nil && !tt.is(err) {
				t.Errorf("classifier does not hold for %v", err)
			}
		})
	}
	// None of the refused calls may have left anything behind.
	eps, err := f.s.ListEndpoints(ctx)
	check(t, "ListEndpoints", err)
	if len(eps) != 4 {
		t.Errorf("after refused calls: %d endpoints, want the fixture's 4", len(eps))
	}
}
