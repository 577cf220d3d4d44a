package k8s

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// TestUnauthorizedIntegration: a token the server does not accept (expired,
// revoked, or from another cluster) fails every request with an error that
// says so.
func TestUnauthorizedIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	c, err := New(Config{Kubeconfig: srv.WriteKubeconfig(t, "stale", "eyJhbGciOiJSUzI1NiJ9.expired.token")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPod(testCtx(t), "default", "p1")
	if !errors.Is(err, datastore.ErrUnauthorized) || errors.Is(err, datastore.ErrNotFound) {
		t.Fatalf("error %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"401 Unauthorized", "token has expired or been revoked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestForbiddenIntegration: an identity whose ClusterRole lacks one of the
// CNI role's permissions gets an error naming the verb and resource to add
// to the calico-cni-plugin ClusterRole.
func TestForbiddenIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "p1", Node: "node1"})
	// The CNI role without patch on pods/status and without the IPAM CRDs.
	c, err := New(Config{Kubeconfig: srv.Kubeconfig(t, "cni-missing-rules", kastest.CNIRules()[:1])})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		op   func() error
		want string
	}{
		{"patch pods/status", func() error {
			_, err := c.PatchPodStatus(testCtx(t), "default", "p1", map[string]any{"metadata": map[string]any{}})
			return err
		}, `the Kubernetes API denied system:serviceaccount:kube-system:cni-missing-rules permission to patch pods/status in namespace "default" (403 Forbidden): the calico-cni-plugin ClusterRole bound to it must grant "patch" on "pods/status"`},
		{"list blockaffinities", func() error {
			var l struct{}
			return c.List(testCtx(t), Resource{"crd.projectcalico.org", "v1", "blockaffinities"}, "", &l)
		}, `must grant "list" on "blockaffinities.crd.projectcalico.org"`},
	} {
		err := tc.op()
		if !errors.Is(err, datastore.ErrUnauthorized) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error\n%v\nwant ErrUnauthorized saying\n%s", tc.name, err, tc.want)
		}
	}
	if _, err := c.GetPod(testCtx(t), "default", "p1"); err != nil {
		t.Errorf("a permission the role has: %v", err)
	}
}

// TestUnavailableIntegration: a server that cannot be reached, or does not
// answer in time, is ErrUnavailable (CNI "try again later").
func TestUnavailableIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, tc := range []struct {
		name, root string
		want       string
	}{
		{"connection refused", "https://" + closedAddr, "cannot reach the Kubernetes API"},
		{"no answer", "https://" + silent.Addr().String(), "did not answer"},
	} {
		c, err := New(Config{Kubeconfig: srv.CNIKubeconfig(t), APIRoot: tc.root, Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = c.GetPod(context.Background(), "default", "p1")
		if !errors.Is(err, datastore.ErrUnavailable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrUnavailable saying %q", tc.name, err, tc.want)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %s with a 300ms timeout", tc.name, d)
		}
	}
}

// TestNotServedIntegration: a resource type the server does not have (the
// CRDs are not installed) is not mistaken for a missing object.
func TestNotServedIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	c, err := New(Config{Kubeconfig: srv.AdminKubeconfig(t)}) // the CNI role would be refused first
	if err != nil {
		t.Fatal(err)
	}
	var out struct{}
	err = c.Get(testCtx(t), Resource{"crd.projectcalico.org", "v1", "nothings"}, "x", &out)
	if err == nil || errors.Is(err, datastore.ErrNotFound) || !strings.Contains(err.Error(), "are Calico's CRDs installed") {
		t.Errorf("error %v, want one that is not ErrNotFound and asks about the CRDs", err)
	}
}

// TestRequestCountIntegration: every request is counted, failed ones too.
func TestRequestCountIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	c := cniClient(t, srv)
	for i := range 3 {
		_, _ = c.GetPod(testCtx(t), "default", "absent")
		if got := c.Requests(); got != int64(i+1) {
			t.Fatalf("after %d requests Requests() = %d", i+1, got)
		}
	}
}
