package hnstest

import (
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

var endpointTests = []contractTest{
	{"CreateGetDelete", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		ip := subnetLayout(t, n).host(t, 10)
		name := uniqueName("hnstest-ep")
		ep := createEndpoint(t, env, localEndpoint(n, name, ip))
		requireGUID(t, "endpoint ID", ep.Id)
		if ep.Name != name || !sameID(ep.HostComputeNetwork, n.Id) || !unattached(ep.HostComputeNamespace) {
			t.Errorf("created endpoint = {Name:%s Network:%s Namespace:%s}, want {%s %s none}",
				ep.Name, ep.HostComputeNetwork, ep.HostComputeNamespace, name, n.Id)
		}
		if len(ep.IpConfigurations) != 1 || ep.IpConfigurations[0].IpAddress != ip {
			t.Errorf("created endpoint IpConfigurations = %+v, want %s", ep.IpConfigurations, ip)
		}
		if ep.MacAddress == "" {
			t.Error("created endpoint has no MAC address; HNS assigns one from the pool")
		}
		for _, id := range []string{ep.Id, strings.ToLower(ep.Id)} {
			got, err := env.Client.GetEndpointByID(ctx(t), id)
			mustDo(t, "GetEndpointByID("+id+")", err)
			if !sameID(got.Id, ep.Id) || got.MacAddress != ep.MacAddress {
				t.Errorf("GetEndpointByID(%s) = {%s %s}, want {%s %s}", id, got.Id, got.MacAddress, ep.Id, ep.MacAddress)
			}
		}
		got, err := env.Client.GetEndpointByName(ctx(t), name)
		mustDo(t, "GetEndpointByName", err)
		if !sameID(got.Id, ep.Id) {
			t.Errorf("GetEndpointByName(%s).Id = %s, want %s", name, got.Id, ep.Id)
		}
		mustDo(t, "DeleteEndpoint", env.Client.DeleteEndpoint(ctx(t), strings.ToLower(ep.Id)))
		_, err = env.Client.GetEndpointByID(ctx(t), ep.Id)
		wantNotFound(t, "GetEndpointByID(deleted)", err, "Endpoint")
		_, err = env.Client.GetEndpointByName(ctx(t), name)
		wantNotFound(t, "GetEndpointByName(deleted)", err, "Endpoint")
		wantIsNotFound(t, "DeleteEndpoint(deleted)", env.Client.DeleteEndpoint(ctx(t), ep.Id))
	}},
	{"DuplicateNamesFirstWins", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		l := subnetLayout(t, n)
		name := uniqueName("hnstest-dup")
		first := createEndpoint(t, env, localEndpoint(n, name, l.host(t, 10)))
		second := createEndpoint(t, env, localEndpoint(n, name, l.host(t, 11)))
		if sameID(first.Id, second.Id) {
			t.Fatalf("two creates returned one ID %s", first.Id)
		}
		for range 3 {
			got, err := env.Client.GetEndpointByName(ctx(t), name)
			mustDo(t, "GetEndpointByName", err)
			if !sameID(got.Id, first.Id) {
				t.Fatalf("GetEndpointByName(%s) = %s, want the first created %s", name, got.Id, first.Id)
			}
		}
		mustDo(t, "DeleteEndpoint(first)", env.Client.DeleteEndpoint(ctx(t), first.Id))
		got, err := env.Client.GetEndpointByName(ctx(t), name)
		mustDo(t, "GetEndpointByName after deleting the first", err)
		if !sameID(got.Id, second.Id) {
			t.Errorf("GetEndpointByName(%s) = %s, want the remaining %s", name, got.Id, second.Id)
		}
	}},
	{"GivenMACIsKept", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		e := localEndpoint(n, uniqueName("hnstest-mac"), subnetLayout(t, n).host(t, 10))
		e.MacAddress = "0E-2A-0A-F4-05-07"
		ep := createEndpoint(t, env, e)
		if !strings.EqualFold(ep.MacAddress, e.MacAddress) {
			t.Errorf("MacAddress = %q, want %q", ep.MacAddress, e.MacAddress)
		}
	}},
	{"NamespaceIsReadOnly", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		e := localEndpoint(n, uniqueName("hnstest-ro"), subnetLayout(t, n).host(t, 10))
		e.HostComputeNamespace = randomGUID()
		ep, err := env.Client.CreateEndpoint(ctx(t), e)
		if err == nil {
			cleanupEndpoint(t, env, ep.Id)
		}
		const want = "HostComputeNamespace is read only and should not be set"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CreateEndpoint with HostComputeNamespace: err = %v, want %q", err, want)
		}
	}},
	{"MissingNetwork", func(t *testing.T, env Env) {
		e := &hns.Endpoint{Name: uniqueName("hnstest-nonet"), HostComputeNetwork: randomGUID(),
			IpConfigurations: []hns.IpConfig{{IpAddress: "10.99.0.10"}}}
		ep, err := env.Client.CreateEndpoint(ctx(t), e)
		if err == nil {
			cleanupEndpoint(t, env, ep.Id)
		}
		wantIsNotFound(t, "CreateEndpoint on a missing network", err)
	}},
	{"MissingEndpoint", func(t *testing.T, env Env) {
		id := randomGUID()
		_, err := env.Client.GetEndpointByID(ctx(t), id)
		wantNotFound(t, "GetEndpointByID", err, "Endpoint")
		_, err = env.Client.GetEndpointByName(ctx(t), uniqueName("hnstest-missing"))
		wantNotFound(t, "GetEndpointByName", err, "Endpoint")
		wantIsNotFound(t, "DeleteEndpoint", env.Client.DeleteEndpoint(ctx(t), id))
	}},
	{"Remote", func(t *testing.T, env Env) {
		if !env.RemoteEndpoints {
			t.Skip("Env.RemoteEndpoints is false: this HNS network type has no remote endpoints")
		}
		n := env.NewNetwork(t)
		ip := subnetLayout(t, n).host(t, 12)
		remote := localEndpoint(n, uniqueName("hnstest-remote"), ip)
		remote.Flags = hns.EndpointFlagRemote
		remote.Policies = []hns.Policy{hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: "192.0.2.4"})}
		r := createEndpoint(t, env, remote)
		if r.Flags&hns.EndpointFlagRemote == 0 {
			t.Errorf("remote endpoint reads back with Flags %d", r.Flags)
		}
		list, err := env.Client.ListEndpointsOfNetwork(ctx(t), n.Id)
		mustDo(t, "ListEndpointsOfNetwork", err)
		found := false
		for _, e := range list {
			found = found || sameID(e.Id, r.Id)
		}
		if !found {
			t.Errorf("ListEndpointsOfNetwork misses the remote endpoint %s", r.Id)
		}
		// A remote endpoint holding an address blocks a local one (kubernetes#130963).
		ep, err := env.Client.CreateEndpoint(ctx(t), localEndpoint(n, uniqueName("hnstest-local"), ip))
		if err == nil {
			cleanupEndpoint(t, env, ep.Id)
		}
		wantCode(t, "local endpoint on a remote endpoint's address", err, hns.AddrInvalidOrReserved)
	}},
}
