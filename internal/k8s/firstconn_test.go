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

// TestFirstRequestHoldsOthersOnlyUntilConnected: a new client's first
// request goes alone until its connection is up, then the others share that
// connection at once, without waiting for the first one's answer (they
// waited for it, a round trip more for every Read of a CNI call).
func TestFirstRequestHoldsOthersOnlyUntilConnected(t *testing.T) {
	releaseSlow, slowArrived := make(chan struct{}), make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/namespaces/slow" {
			close(slowArrived)
			select {
			case <-releaseSlow:
			case <-r.Context().Done():
			}
		}
		w.Write([]byte(`{"metadata":{"name":"x"}}`))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	var dials atomic.Int64
	ac := &apiConfig{Host: srv.URL, CAData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
		dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
	c, err := newClient(ac, 10*time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	slow := make(chan error, 1)
	go func() { _, err := c.GetNamespace(ctx, "slow"); slow <- err }()
	select {
	case <-slowArrived:
	case <-ctx.Done():
		t.Fatal("the first request never arrived")
	}
	// Sent while the first is outstanding: answered before it.
	fastCtx, cancelFast := context.WithTimeout(ctx, 3*time.Second)
	defer cancelFast()
	for range 3 {
		if _, err := c.GetNamespace(fastCtx, "fast"); err != nil {
			t.Fatalf("a request sent while the first awaits its answer: %v", err)
		}
	}
	close(releaseSlow)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestWaitForFirstConnectionEndsWithContext: a request waiting for the
// first request's connection gives up when its own context ends, not when
// the first request does (here a server that never finishes the TLS
// handshake keeps the first one for its whole 10 s timeout).
func TestWaitForFirstConnectionEndsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- conn // held, never answered
		}
	}()
	defer func() {
		for {
			select {
			case conn := <-accepted:
				conn.Close()
			default:
				return
			}
		}
	}()
	c, err := newClient(&apiConfig{Host: "https://" + ln.Addr().String(), Insecure: true}, 10*time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := make(chan error, 1)
	go func() { _, err := c.GetNamespace(context.Background(), "first"); first <- err }()
	select {
	case conn := <-accepted:
		accepted <- conn
	case <-time.After(5 * time.Second):
		t.Fatal("the first request never connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.GetNamespace(ctx, "second")
	if err == nil {
		t.Fatal("the second request succeeded against a server that never answers")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the second request gave up after %v, its context ended after 200ms", d)
	}
	select {
	case err := <-first:
		t.Fatalf("the first request ended (%v) before the second", err)
	default:
	}
}
