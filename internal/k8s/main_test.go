package k8s

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/calico-win/cni/internal/kastest"
	"github.com/calico-win/cni/internal/testctx"
)

// The *Integration* tests run against a real kube-apiserver with Calico's
// CRDs: one per test binary (kastest.Shared), wiped per test. Run with
// FAKE_EXEC_PLUGIN set, the test binary is an exec credential plugin
// instead (execplugin_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(fakeExecPluginEnv) != "" {
		os.Exit(fakeExecPlugin())
	}
	kastest.Main(m)
}

func testCtx(t testing.TB) context.Context { return testctx.New(t, 20*time.Second) }

// cniClient returns a Client with the calico-cni-plugin identity.
func cniClient(t testing.TB, srv *kastest.Server) *Client {
	t.Helper()
	c, err := New(Config{Kubeconfig: srv.CNIKubeconfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
