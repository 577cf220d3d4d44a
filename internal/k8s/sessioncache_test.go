package k8s

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/calico-win/cni/internal/kastest"
)

// resumed sends a GET with c on a new connection and reports whether its
// TLS session was resumed; the request must succeed (the resumed session
// still authenticates the client).
func resumed(t *testing.T, c *Client) bool {
	t.Helper()
	c.Close() // no pooled connection: a new handshake
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, c.Server()+"/api/v1/namespaces/default", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET namespace: %s", resp.Status)
	}
	return resp.TLS != nil && resp.TLS.DidResume
}

// TestSessionCacheIntegration: a client resumes the TLS session an earlier
// one (an earlier process) kept in the file, with a token and with a client
// certificate, and still gets its answers; other credentials never use it.
func TestSessionCacheIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	for _, tc := range []struct{ name, kubeconfig string }{
		{"token", srv.CNIKubeconfig(t)},
		{"client certificate", srv.CNICertKubeconfig(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session")
			first, err := New(Config{Kubeconfig: tc.kubeconfig, SessionCache: path})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := first.GetNamespace(testCtx(t), "default"); err != nil {
				t.Fatal(err)
			}
			first.Close()
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("session file: %v, %v (want mode 0600)", st, err)
			}
			next, err := New(Config{Kubeconfig: tc.kubeconfig, SessionCache: path})
			if err != nil {
				t.Fatal(err)
			}
			if !resumed(t, next) {
				t.Errorf("the next client did not resume the kept session")
			}
			other, err := New(Config{Kubeconfig: srv.AdminKubeconfig(t), SessionCache: path})
			if err != nil {
				t.Fatal(err)
			}
			if resumed(t, other) {
				t.Errorf("a client with other credentials resumed the kept session")
			}
		})
	}
}
