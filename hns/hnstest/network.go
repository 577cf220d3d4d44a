package hnstest

import (
	"strings"
	"testing"
)

var networkTests = []contractTest{
	{"GetByName", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		requireGUID(t, "network ID", n.Id)
		got, err := env.Client.GetNetworkByName(ctx(t), n.Name)
		mustDo(t, "GetNetworkByName", err)
		if !sameID(got.Id, n.Id) || got.Name != n.Name || got.Type != n.Type {
			t.Errorf("GetNetworkByName(%q) = {%s %s %s}, want {%s %s %s}",
				n.Name, got.Id, got.Name, got.Type, n.Id, n.Name, n.Type)
		}
		subnetLayout(t, got) // the subnet and its default route read back
	}},
	{"GetByIDIgnoresCase", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		for _, id := range []string{n.Id, strings.ToLower(n.Id)} {
			got, err := env.Client.GetNetworkByID(ctx(t), id)
			mustDo(t, "GetNetworkByID("+id+")", err)
			if !sameID(got.Id, n.Id) || got.Name != n.Name {
				t.Errorf("GetNetworkByID(%s) = {%s %s}, want {%s %s}", id, got.Id, got.Name, n.Id, n.Name)
			}
		}
	}},
	{"NotFound", func(t *testing.T, env Env) {
		_, err := env.Client.GetNetworkByName(ctx(t), uniqueName("hnstest-missing"))
		wantNotFound(t, "GetNetworkByName(missing)", err, "Network")
		_, err = env.Client.GetNetworkByID(ctx(t), randomGUID())
		wantNotFound(t, "GetNetworkByID(missing)", err, "Network")
	}},
	{"EndpointsOfNetworkAreItsOwn", func(t *testing.T, env Env) {
		a, b := env.NewNetwork(t), env.NewNetwork(t)
		la, lb := subnetLayout(t, a), subnetLayout(t, b)
		epA := createEndpoint(t, env, localEndpoint(a, uniqueName("hnstest-a"), la.host(t, 10)))
		epB := createEndpoint(t, env, localEndpoint(b, uniqueName("hnstest-b"), lb.host(t, 10)))
		list, err := env.Client.ListEndpointsOfNetwork(ctx(t), strings.ToLower(a.Id))
		mustDo(t, "ListEndpointsOfNetwork", err)
		var sawA bool
		for _, e := range list {
			sawA = sawA || sameID(e.Id, epA.Id)
			if sameID(e.Id, epB.Id) || !sameID(e.HostComputeNetwork, a.Id) {
				t.Errorf("ListEndpointsOfNetwork(%s) lists %s of network %s", a.Id, e.Id, e.HostComputeNetwork)
			}
		}
		if !sawA {
			t.Errorf("ListEndpointsOfNetwork(%s) misses endpoint %s", a.Id, epA.Id)
		}
	}},
	{"EndpointsOfMissingNetworkIsEmpty", func(t *testing.T, env Env) {
		list, err := env.Client.ListEndpointsOfNetwork(ctx(t), randomGUID())
		if err != nil || len(list) != 0 {
			t.Errorf("ListEndpointsOfNetwork(missing) = %d endpoints, %v; want none, nil", len(list), err)
		}
	}},
}
