package etcd

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/etcdtest"
)

// TestSessionCacheIntegration: with TLS, a Store resumes the session an
// earlier Store (an earlier process) kept in the file, and other client
// credentials never use it.
func TestSessionCacheIntegration(t *testing.T) {
	srv := etcdtest.StartTLS(t)
	files := srv.TLS()
	path := filepath.Join(t.TempDir(), "session")
	cfg := Config{Endpoints: srv.Endpoints(), CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile, SessionCache: path}
	resumed := func(cfg Config) bool {
		t.Helper()
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Read(testCtx(t), datastore.Query{Config: true}); err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, srv.Endpoints()[0]+"/version", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.http.Do(req) // the Read's connection
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.TLS != nil && resp.TLS.DidResume
	}
	if resumed(cfg) {
		t.Fatal("the first Store resumed a session")
	}
	if !resumed(cfg) {
		t.Error("the next Store did not resume the kept session")
	}
	other := cfg // another client (its endpoints differ): must not take it
	other.Endpoints = []string{srv.Endpoints()[0] + "/"}
	if resumed(other) {
		t.Error("a Store for other endpoints resumed the kept session")
	}
}
