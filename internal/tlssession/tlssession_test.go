package tlssession

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestResume: a client resumes the session an earlier one kept; the kept
// ticket is not rewritten by a connection that resumed it; a client of
// another identity does not use it.
func TestResume(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	path := filepath.Join(t.TempDir(), "session")
	get := func(id string) bool {
		t.Helper()
		c := &tls.Config{RootCAs: roots}
		New(path, String(srv.URL), String(id)).Configure(c)
		tr := &http.Transport{TLSClientConfig: c}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.TLS.DidResume
	}
	if get("a") {
		t.Fatal("the first client resumed")
	}
	kept, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no session kept: %v", err)
	}
	// (On Windows the directory's ACL protects it: C:\CalicoWindows is the
	// administrators'.)
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", st.Mode().Perm())
	}
	if !get("a") {
		t.Error("the next client did not resume")
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, kept) {
		t.Error("a resumed connection rewrote the kept ticket")
	}
	if get("b") {
		t.Error("a client of another identity resumed the kept session")
	}
}
