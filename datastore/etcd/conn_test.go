//go:build !windows

package etcd

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// TestClientReusesConnectionsAndDropsClosedOnes: answers arrive over one
// kept-alive connection, and a connection the server closed while idle (a
// member restarted between two requests) is not used again: the next
// request dials, so a request is never sent on a connection already
// closed, where its outcome would be unknown.
func TestClientReusesConnectionsAndDropsClosedOnes(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v3/kv/range" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Write([]byte(`{"header":{"revision":"7"}}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	ep, _ := url.Parse(srv.URL)
	c, err := newClient(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.closeIdle()
	post := func() {
		t.Helper()
		status, data, err := c.post(testCtx(t), ep, "/v3/kv/range", []byte(`{"key":"YQ=="}`))
		if err != nil || status != http.StatusOK || string(data) != `{"header":{"revision":"7"}}` {
			t.Fatalf("post: %d %q %v", status, data, err)
		}
	}
	post()
	post()
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for two requests, want 1 (kept alive)", n)
	}

	srv.CloseClientConnections()
	idle := c.idle[ep.Host][0].Conn
	for deadline := time.Now().Add(5 * time.Second); !closedByPeer(idle); {
		if time.Now().After(deadline) {
			t.Fatal("the closed connection still looks open")
		}
	}
	post()
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2: the closed one must not be reused", n)
	}
	if closedByPeer(c.idle[ep.Host][0].Conn) {
		t.Error("an open idle connection looks closed")
	}
}

// TestClientGivesUpAtTheDeadline: a member that accepts the request and
// never answers costs the context's deadline, not more, and its connection
// is not kept.
func TestClientGivesUpAtTheDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	ep, _ := url.Parse(srv.URL)
	c, err := newClient(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, _, err = c.post(ctx, ep, "/v3/kv/range", []byte(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if n := len(c.idle[ep.Host]); n != 0 {
		t.Errorf("%d connections kept after a cut-short exchange", n)
	}
}
