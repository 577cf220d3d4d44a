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
