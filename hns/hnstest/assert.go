package hnstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// wantCode fails unless err is an HNS error with one of the codes.
func wantCode(t *testing.T, what string, err error, codes ...uint32) {
	t.Helper()
	got := hns.Code(err)
	for _, c := range codes {
		if got == c {
			return
		}
	}
	t.Errorf("%s: err = %v (code 0x%x), want code %s", what, err, got, codeList(codes))
}

func codeList(codes []uint32) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("0x%x", c)
	}
	return strings.Join(parts, " or ")
}

// wantNotFound fails unless err is a lookup miss of kind (hns.NotFoundError
// from a query) for which hns.IsNotFound holds.
func wantNotFound(t *testing.T, what string, err error, kind string) {
	t.Helper()
	var nf *hns.NotFoundError
	if !errors.As(err, &nf) || nf.Kind != kind {
		t.Errorf("%s: err = %v (%T), want *hns.NotFoundError{Kind: %q}", what, err, err, kind)
	}
	if !hns.IsNotFound(err) {
		t.Errorf("%s: hns.IsNotFound(%v) = false", what, err)
	}
}

// wantIsNotFound fails unless hns.IsNotFound(err): for calls where HNS, not
// a query, reports the miss (0x490, 0x803b0001, 0x803b0002).
func wantIsNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !hns.IsNotFound(err) {
		t.Errorf("%s: err = %v, want an error for which hns.IsNotFound holds", what, err)
	}
}

func mustDo(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// createEndpoint creates e on network n, failing the test on error, and
// deletes the endpoint at cleanup.
func createEndpoint(t *testing.T, env Env, e *hns.Endpoint) *hns.Endpoint {
	t.Helper()
	got, err := env.Client.CreateEndpoint(ctx(t), e)
	if err != nil {
		t.Fatalf("CreateEndpoint(%s, %v): %v", e.Name, e.IpConfigurations, err)
	}
	cleanupEndpoint(t, env, got.Id)
	return got
}

// cleanupEndpoint deletes an endpoint at cleanup unless the test did.
func cleanupEndpoint(t *testing.T, env Env, id string) {
	t.Cleanup(func() {
		if err := env.Client.DeleteEndpoint(context.Background(), id); err != nil && !hns.IsNotFound(err) {
			t.Errorf("cleanup: DeleteEndpoint(%s): %v", id, err)
		}
	})
}

// localEndpoint is a pod-like endpoint request on n with address ip.
func localEndpoint(n *hns.Network, name, ip string) *hns.Endpoint {
	return &hns.Endpoint{
		Name:               name,
		HostComputeNetwork: n.Id,
		IpConfigurations:   []hns.IpConfig{{IpAddress: ip}},
		SchemaVersion:      hns.V2,
	}
}

// newNamespace creates an empty namespace, as containerd does, and deletes
// it at cleanup.
func newNamespace(t *testing.T, env Env) *hns.Namespace {
	t.Helper()
	ns, err := env.Client.CreateNamespace(ctx(t), &hns.Namespace{})
	if err != nil {
		t.Fatalf("CreateNamespace: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Client.DeleteNamespace(context.Background(), ns.Id); err != nil && !hns.IsNotFound(err) {
			t.Errorf("cleanup: DeleteNamespace(%s): %v", ns.Id, err)
		}
	})
	return ns
}
