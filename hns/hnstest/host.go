package hnstest

import (
	"testing"

	"github.com/calico-win/cni/hns"
)

// hostTests: the host's default namespace, through which L2Bridge mode
// gives its host endpoint to the host (v1's HostAttach).
var hostTests = []contractTest{
	{"HostNamespaceIsStable", func(t *testing.T, env Env) {
		ns, err := env.Client.HostNamespace(ctx(t))
		mustDo(t, "HostNamespace", err)
		requireGUID(t, "host namespace ID", ns.Id)
		if ns.Type != hns.NamespaceHostDefault {
			t.Errorf("HostNamespace Type = %q, want %s", ns.Type, hns.NamespaceHostDefault)
		}
		again, err := env.Client.HostNamespace(ctx(t))
		mustDo(t, "HostNamespace", err)
		if !sameID(again.Id, ns.Id) {
			t.Errorf("HostNamespace = %s, then %s", ns.Id, again.Id)
		}
		got, err := env.Client.GetNamespaceByID(ctx(t), ns.Id)
		mustDo(t, "GetNamespaceByID(host)", err)
		if got.Type != hns.NamespaceHostDefault {
			t.Errorf("GetNamespaceByID(host) Type = %q", got.Type)
		}
	}},
	{"HostAttachDetach", func(t *testing.T, env Env) {
		ep := podEndpoint(t, env)
		c := env.Client
		ns, err := c.HostNamespace(ctx(t))
		mustDo(t, "HostNamespace", err)
		mustDo(t, "AttachEndpoint(host)", c.AttachEndpoint(ctx(t), ns.Id, ep.Id))
		t.Cleanup(func() { c.DetachEndpoint(ctx(t), ns.Id, ep.Id) })
		got, err := c.GetEndpointByID(ctx(t), ep.Id)
		mustDo(t, "GetEndpointByID", err)
		if !sameID(got.HostComputeNamespace, ns.Id) {
			t.Errorf("host-attached endpoint's HostComputeNamespace = %q, want %s", got.HostComputeNamespace, ns.Id)
		}
		// Attaching again is refused (Calico #4280 saw 0x803b0014 from v1's
		// HostAttach); the plugin must look before it attaches.
		err = c.AttachEndpoint(ctx(t), ns.Id, ep.Id)
		wantCode(t, "host attach again", err, hns.EndpointAlreadyAttached, hns.EndpointNamespaceExists)
		if !hns.IsAlreadyExists(err) && !hns.IsConflict(err) {
			t.Errorf("second host attach %v is neither 'already exists' nor a conflict", err)
		}
		mustDo(t, "DetachEndpoint(host)", c.DetachEndpoint(ctx(t), ns.Id, ep.Id))
		got, err = c.GetEndpointByID(ctx(t), ep.Id)
		mustDo(t, "GetEndpointByID", err)
		if !unattached(got.HostComputeNamespace) {
			t.Errorf("detached endpoint's HostComputeNamespace = %q", got.HostComputeNamespace)
		}
	}},
}
