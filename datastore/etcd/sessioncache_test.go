package etcd

import (
	"crypto/tls"
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
		ep := s.endpoints[0]
		idle := s.http.idle[ep.Host] // the Read's connection, kept for reuse
		if len(idle) != 1 {
			t.Fatalf("%d idle connections to %s, want the Read's", len(idle), ep.Host)
		}
		tc, ok := idle[0].Conn.(*tls.Conn)
		return ok && tc.ConnectionState().DidResume
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
