package k8s

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// TestEarlyConnectionServesTheFirstRequests: the connection a Client opens
// when it is made is the one its first requests use (one connection in
// all, HTTP/2), and it was open before any request was sent.
func TestEarlyConnectionServesTheFirstRequests(t *testing.T) {
	var conns atomic.Int64
	opened := make(chan struct{}, 8)
	var proto atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		w.Write([]byte(`{"metadata":{"name":"x"}}`))
	}))
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
			opened <- struct{}{}
		}
	}
	srv.StartTLS()
	defer srv.Close()
	ac := &apiConfig{Host: srv.URL, CAData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
	c, err := newClient(ac, 5*time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.early == nil {
		t.Fatal("no early connection for a direct https server")
	}
	c.connectEarly()
	select {
	case <-opened:
	case <-time.After(5 * time.Second):
		t.Fatal("the early connection was never opened")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 3 {
		if _, err := c.GetNamespace(ctx, "default"); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want the early one only", n)
	}
	if p := proto.Load(); p != "HTTP/2.0" {
		t.Errorf("requests went over %v, want HTTP/2.0", p)
	}
}

// Behind a proxy (the kubeconfig's proxy-url; the environment's is read
// once per process, as net/http does) the connection is the proxy's: none
// is opened early.
func TestNoEarlyConnectionThroughAProxy(t *testing.T) {
	proxy, _ := url.Parse("http://127.0.0.1:1")
	c, err := newClient(&apiConfig{Host: "https://k8s.example:6443", Insecure: true, Proxy: proxy}, time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.early != nil {
		t.Error("an early connection was set up for a server behind a proxy")
	}
}
