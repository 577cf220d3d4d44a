package k8s

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// resetPredial lets a test Predial again.
func resetPredial(t *testing.T) {
	predial.Lock()
	predial.p, predial.taken = nil, false
	predial.Unlock()
	t.Cleanup(func() {
		dropPredialed()
		predial.Lock()
		predial.p, predial.taken = nil, false
		predial.Unlock()
	})
}

// countingServer is an HTTP/2 TLS server that counts the connections it
// accepted and closed.
func countingServer(t *testing.T) (srv *httptest.Server, accepted, closed *atomic.Int64) {
	accepted, closed = new(atomic.Int64), new(atomic.Int64)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"metadata":{"name":"x"}}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			accepted.Add(1)
		case http.StateClosed:
			closed.Add(1)
		}
	}
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, accepted, closed
}

// serverClient is a Client of srv (trusting its certificate, dialing as a
// CNI call does), closed when the test ends, and a context for its requests.
func serverClient(t *testing.T, srv *httptest.Server) (*Client, context.Context) {
	t.Helper()
	ac := &apiConfig{Host: srv.URL, CAData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
	c, err := newClient(ac, 10*time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c, ctx
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Predial opens the TCP connection before any Client exists, and the first
// Client connecting directly to that address does its TLS handshake and
// its requests on it: the server accepts one connection in all.
func TestPredialedConnectionIsUsed(t *testing.T) {
	resetPredial(t)
	srv, accepted, _ := countingServer(t)
	Predial(srv.Listener.Addr().String())
	waitFor(t, "the predialed connection", func() bool { return accepted.Load() == 1 })
	c, ctx := serverClient(t, srv)
	if got, want := c.DirectAddr(), srv.Listener.Addr().String(); got != want {
		t.Errorf("DirectAddr = %q, want %q", got, want)
	}
	c.connectEarly()
	for range 3 {
		if _, err := c.GetNamespace(ctx, "default"); err != nil {
			t.Fatal(err)
		}
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("the server accepted %d connections, want 1 (the predialed one)", n)
	}
}

// A predialed connection to another address than the Client's is not used,
// and is closed; the Client connects as it would have.
func TestPredialedConnectionElsewhereIsClosed(t *testing.T) {
	resetPredial(t)
	other, otherAccepted, otherClosed := countingServer(t)
	Predial(other.Listener.Addr().String())
	waitFor(t, "the predialed connection", func() bool { return otherAccepted.Load() == 1 })
	srv, accepted, _ := countingServer(t)
	c, ctx := serverClient(t, srv)
	if _, err := c.GetNamespace(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("the Client's server accepted %d connections, want 1", n)
	}
	waitFor(t, "the unused predialed connection to be closed", func() bool { return otherClosed.Load() == 1 })
}
