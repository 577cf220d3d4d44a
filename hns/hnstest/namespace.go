package hnstest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// namespaceEndpoints returns the endpoint IDs among a namespace's resources.
func namespaceEndpoints(t *testing.T, env Env, nsID string) []string {
	t.Helper()
	ns, err := env.Client.GetNamespaceByID(ctx(t), nsID)
	mustDo(t, "GetNamespaceByID", err)
	var ids []string
	for _, r := range ns.Resources {
		if !strings.EqualFold(r.Type, "Endpoint") {
			continue
		}
		var d struct{ ID string }
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatalf("namespace resource %s: %v", r.Data, err)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

func hasID(ids []string, id string) bool {
	for _, x := range ids {
		if sameID(x, id) {
			return true
		}
	}
	return false
}

// podEndpoint creates a local endpoint on a new network.
func podEndpoint(t *testing.T, env Env) *hns.Endpoint {
	t.Helper()
	n := env.NewNetwork(t)
	return createEndpoint(t, env, localEndpoint(n, uniqueName("hnstest-pod"), subnetLayout(t, n).host(t, 10)))
}

var namespaceTests = []contractTest{
	{"CreateGetDelete", func(t *testing.T, env Env) {
		ns := newNamespace(t, env)
		requireGUID(t, "namespace ID", ns.Id)
		got, err := env.Client.GetNamespaceByID(ctx(t), strings.ToLower(ns.Id))
		mustDo(t, "GetNamespaceByID", err)
		if !sameID(got.Id, ns.Id) || len(got.Resources) != 0 {
			t.Errorf("GetNamespaceByID = {%s %v}, want {%s no resources}", got.Id, got.Resources, ns.Id)
		}
		mustDo(t, "DeleteNamespace", env.Client.DeleteNamespace(ctx(t), ns.Id))
		_, err = env.Client.GetNamespaceByID(ctx(t), ns.Id)
		wantNotFound(t, "GetNamespaceByID(deleted)", err, "Namespace")
		wantIsNotFound(t, "DeleteNamespace(deleted)", env.Client.DeleteNamespace(ctx(t), ns.Id))
	}},
	{"AttachDetach", func(t *testing.T, env Env) {
		ns := newNamespace(t, env) // before the endpoint: cleanups run in reverse
		ep := podEndpoint(t, env)
		c := env.Client
		mustDo(t, "AttachEndpoint", c.AttachEndpoint(ctx(t), strings.ToLower(ns.Id), strings.ToLower(ep.Id)))
		got, err := c.GetEndpointByID(ctx(t), ep.Id)
		mustDo(t, "GetEndpointByID", err)
		if !sameID(got.HostComputeNamespace, ns.Id) {
			t.Errorf("attached endpoint's HostComputeNamespace = %q, want %s", got.HostComputeNamespace, ns.Id)
		}
		if ids := namespaceEndpoints(t, env, ns.Id); !hasID(ids, ep.Id) {
			t.Errorf("namespace endpoints = %v, want %s among them", ids, ep.Id)
		}
		mustDo(t, "DetachEndpoint", c.DetachEndpoint(ctx(t), ns.Id, ep.Id))
		got, err = c.GetEndpointByID(ctx(t), ep.Id)
		mustDo(t, "GetEndpointByID", err)
		if !unattached(got.HostComputeNamespace) {
			t.Errorf("detached endpoint's HostComputeNamespace = %q, want none", got.HostComputeNamespace)
		}
		if ids := namespaceEndpoints(t, env, ns.Id); hasID(ids, ep.Id) {
			t.Errorf("namespace still lists detached endpoint %s", ep.Id)
		}
	}},
	{"OneNamespacePerEndpoint", func(t *testing.T, env Env) {
		ns, other := newNamespace(t, env), newNamespace(t, env)
		ep := podEndpoint(t, env)
		c := env.Client
		mustDo(t, "AttachEndpoint", c.AttachEndpoint(ctx(t), ns.Id, ep.Id))
		err := c.AttachEndpoint(ctx(t), ns.Id, ep.Id)
		wantCode(t, "attach to the same namespace again", err, hns.EndpointNamespaceExists)
		if !hns.IsConflict(err) {
			t.Errorf("hns.IsConflict(%v) = false", err)
		}
		wantCode(t, "attach to a second namespace", c.AttachEndpoint(ctx(t), other.Id, ep.Id), hns.EndpointNamespaceExists)
	}},
	{"AttachToMissingNamespace", func(t *testing.T, env Env) {
		ep := podEndpoint(t, env)
		err := env.Client.AttachEndpoint(ctx(t), randomGUID(), ep.Id)
		wantCode(t, "AttachEndpoint(missing namespace)", err, hns.ErrorNotFound)
		wantIsNotFound(t, "AttachEndpoint(missing namespace)", err)
	}},
	{"AttachMissingEndpoint", func(t *testing.T, env Env) {
		ns := newNamespace(t, env)
		wantIsNotFound(t, "AttachEndpoint(missing endpoint)", env.Client.AttachEndpoint(ctx(t), ns.Id, randomGUID()))
	}},
	{"DetachNotAttached", func(t *testing.T, env Env) {
		ns := newNamespace(t, env) // before the endpoint: cleanups run in reverse
		ep := podEndpoint(t, env)
		err := env.Client.DetachEndpoint(ctx(t), ns.Id, ep.Id)
		wantCode(t, "DetachEndpoint(not attached)", err, hns.EndpointNotAttached, hns.ErrorNotFound)
	}},
	{"DetachFromMissingNamespace", func(t *testing.T, env Env) {
		ep := podEndpoint(t, env)
		wantIsNotFound(t, "DetachEndpoint(missing namespace)", env.Client.DetachEndpoint(ctx(t), randomGUID(), ep.Id))
	}},
	{"DeleteAttachedEndpoint", func(t *testing.T, env Env) {
		ns := newNamespace(t, env) // before the endpoint: cleanups run in reverse
		ep := podEndpoint(t, env)
		mustDo(t, "AttachEndpoint", env.Client.AttachEndpoint(ctx(t), ns.Id, ep.Id))
		mustDo(t, "DeleteEndpoint(attached)", env.Client.DeleteEndpoint(ctx(t), ep.Id))
		if ids := namespaceEndpoints(t, env, ns.Id); hasID(ids, ep.Id) {
			t.Errorf("namespace still lists deleted endpoint %s", ep.Id)
		}
	}},
	{"NamespaceHoldsSeveralEndpoints", func(t *testing.T, env Env) {
		ns := newNamespace(t, env)
		n := env.NewNetwork(t)
		l := subnetLayout(t, n)
		a := createEndpoint(t, env, localEndpoint(n, uniqueName("hnstest-a"), l.host(t, 10)))
		b := createEndpoint(t, env, localEndpoint(n, uniqueName("hnstest-b"), l.host(t, 11)))
		for _, ep := range []*hns.Endpoint{a, b} {
			mustDo(t, "AttachEndpoint", env.Client.AttachEndpoint(ctx(t), ns.Id, ep.Id))
		}
		if ids := namespaceEndpoints(t, env, ns.Id); !hasID(ids, a.Id) || !hasID(ids, b.Id) {
			t.Errorf("namespace endpoints = %v, want %s and %s", ids, a.Id, b.Id)
		}
	}},
}
