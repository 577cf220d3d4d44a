package sim

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

func state(t *testing.T, s *Sim, id string) EndpointState {
	t.Helper()
	st, err := s.EndpointState(context.Background(), id)
	check(t, "EndpointState", err)
	return st
}

func TestEndpointStateFollowsAttachment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	steps := []struct {
		name string
		do   func() error
		want EndpointState
	}{
		{"created", func() error { return nil }, StateCreated},
		{"attached", func() error { return f.s.AttachEndpoint(ctx, f.ns2.Id, f.b.Id) }, StateAttachedSharing},
		{"detached", func() error { return f.s.DetachEndpoint(ctx, f.ns2.Id, f.b.Id) }, StateDetached},
		{"reattached", func() error { return f.s.AttachEndpoint(ctx, f.ns2.Id, f.b.Id) }, StateAttachedSharing},
		{"namespace deleted", func() error { return f.s.DeleteNamespace(ctx, f.ns2.Id) }, StateDetached},
	}
	for _, st := range steps {
		check(t, st.name, st.do())
		if got := state(t, f.s, f.b.Id); got != st.want {
			t.Errorf("%s: state = %v, want %v", st.name, got, st.want)
		}
	}
	ep, err := f.s.GetEndpointByID(ctx, f.b.Id)
	check(t, "GetEndpointByID", err)
	if ep.HostComputeNamespace != "" {
		t.Errorf("endpoint of a deleted namespace still points at %s", ep.HostComputeNamespace)
	}
}

func TestEndpointDefaults(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mac := regexp.MustCompile(`^00-15-5D-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$`)
	if !mac.MatchString(f.a.MacAddress) || f.a.MacAddress == f.b.MacAddress {
		t.Errorf("pool MACs %s, %s: want distinct 00-15-5D-xx-xx-xx", f.a.MacAddress, f.b.MacAddress)
	}
	if f.a.IpConfigurations[0].PrefixLength != 26 || f.a.SchemaVersion != hns.V2 {
		t.Errorf("endpoint = %+v, want PrefixLength 26 and schema 2.0", f.a)
	}
	// Without an address HNS picks the lowest free one: .3 (.0 network,
	// .1 gateway, .2 host endpoint).
	ep, err := f.s.CreateEndpoint(ctx, &hns.Endpoint{Name: "auto", HostComputeNetwork: f.networkID})
	check(t, "CreateEndpoint", err)
	if got := ep.IpConfigurations[0].IpAddress; got != "10.244.5.3" {
		t.Errorf("allocated address %s, want 10.244.5.3", got)
	}
	// Remote endpoints stand for other nodes' pods: any address.
	remote := f.endpoint("other-node-pod", "10.244.9.7")
	remote.Flags = hns.EndpointFlagRemote
	if _, err := f.s.CreateEndpoint(ctx, remote); err != nil {
		t.Errorf("remote endpoint outside the local subnet: %v", err)
	}
}

func TestPolicyNamesAreCanonical(t *testing.T) {
	f := newFixture(t)
	ep, err := f.s.CreateEndpoint(context.Background(), f.endpoint("x", "10.244.5.30",
		pol("SDNROUTE", `{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}`),
		pol("outboundnat", `{"Exceptions":["10.96.0.0/12"]}`),
		pol("acl", `{"Action":"block","Direction":"in","Protocols":"6,17","RemotePorts":"80,1000-2000","RemoteAddresses":"10.0.0.0/8,10.1.1.1"}`)))
	check(t, "CreateEndpoint", err)
	var got []string
	for _, p := range ep.Policies {
		got = append(got, p.Type)
	}
	if want := []string{hns.SDNRoute, hns.OutBoundNAT, hns.ACL}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("policy types = %v, want %v", got, want)
	}
}

func TestDeletedEndpointReleasesPort(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check(t, "DeleteEndpoint", f.s.DeleteEndpoint(ctx, f.b.Id))
	if _, err := f.s.CreateEndpoint(ctx, f.endpoint("c", "10.244.5.11", portMap(8080))); err != nil {
		t.Errorf("address and port of a deleted endpoint not reusable: %v", err)
	}
}

func TestNamespaceDefaults(t *testing.T) {
	s := openSim(t)
	ctx := context.Background()
	ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
	check(t, "CreateNamespace", err)
	if ns.Type != "Host" || ns.NamespaceId != 0 || ns.SchemaVersion != (hns.SchemaVersion{}) {
		t.Errorf("empty-template namespace = %+v, want Host, NamespaceId 0, schema 0.0", ns)
	}
	ns, err = s.CreateNamespace(ctx, &hns.Namespace{Type: "guestdefault", SchemaVersion: hns.V2})
	check(t, "CreateNamespace", err)
	if ns.Type != "GuestDefault" || ns.SchemaVersion != hns.V2 {
		t.Errorf("namespace = %+v", ns)
	}
	_, err = s.CreateNamespace(ctx, &hns.Namespace{Type: "Pod"})
	if hns.Code(err) != hns.ErrorInvalidParameter {
		t.Errorf("namespace type Pod: err = %v, want 0x57", err)
	}
}

func TestDetachNotAttachedCodeOption(t *testing.T) {
	f := newFixture(t, WithDetachNotAttachedCode(hns.ErrorNotFound))
	err := f.s.DetachEndpoint(context.Background(), f.ns2.Id, f.b.Id)
	if hns.Code(err) != hns.ErrorNotFound || !hns.IsNotFound(err) {
		t.Errorf("DetachEndpoint(not attached) = %v, want 0x490", err)
	}
}

func TestVersionAndFeatures(t *testing.T) {
	tests := []struct {
		version hns.Version
		dsr     bool
	}{
		{hns.Version{Major: 15, Minor: 4}, true},
		{hns.Version{Major: 10, Minor: 1}, false},
		{hns.Version{Major: 9, Minor: 5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.version.String(), func(t *testing.T) {
			dir := tempDir(t)
			if _, err := Open(dir, WithVersion(tt.version)); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir) // a later process sees the persisted version
			check(t, "Open", err)
			v, err := s.Version(context.Background())
			check(t, "Version", err)
			f, err := s.Features(context.Background())
			check(t, "Features", err)
			if v != tt.version || f.DSR != tt.dsr || !f.V2Api {
				t.Errorf("Version %v, DSR %v, V2Api %v; want %v, %v, true", v, f.DSR, f.V2Api, tt.version, tt.dsr)
			}
		})
	}
}

func TestListsAndReset(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	eps, err := f.s.ListEndpoints(ctx)
	check(t, "ListEndpoints", err)
	var names []string
	for _, e := range eps {
		names = append(names, e.Name)
	}
	if want := "Calico_ep a_Calico b_Calico remote"; strings.Join(names, " ") != want {
		t.Errorf("ListEndpoints in creation order = %q, want %q", strings.Join(names, " "), want)
	}
	nets, err := f.s.ListNetworks(ctx)
	check(t, "ListNetworks", err)
	nss, err := f.s.ListNamespaces(ctx)
	check(t, "ListNamespaces", err)
	if len(nets) != 1 || len(nss) != 2 || nss[0].Id != f.ns1.Id {
		t.Errorf("ListNetworks %d, ListNamespaces %d (first %s); want 1, 2 (first %s)", len(nets), len(nss), nss[0].Id, f.ns1.Id)
	}
	check(t, "InjectFault", f.s.InjectFault(ctx, KindAny, hns.ServiceStopping, -1))
	check(t, "Reset", f.s.Reset(ctx))
	eps, _ = f.s.ListEndpoints(ctx)
	nets, _ = f.s.ListNetworks(ctx)
	nss, _ = f.s.ListNamespaces(ctx)
	if len(eps)+len(nets)+len(nss) != 0 {
		t.Errorf("after Reset: %d endpoints, %d networks, %d namespaces", len(eps), len(nets), len(nss))
	}
	if _, err := f.s.SetupOverlay(ctx, OverlaySpec{Name: "Calico", Subnet: f.subnet}, 0); err != nil {
		t.Errorf("after Reset (faults cleared, name free): %v", err)
	}
}
