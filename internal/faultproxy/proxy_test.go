package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calico-win/cni/internal/kastest"
)

func TestMain(m *testing.M) { kastest.Main(m) }

// client sends requests through the proxied kubeconfig, as any client-go
// based client would.
func client(t *testing.T, kubeconfig string) func(ctx context.Context, method, path, body string) (int, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, method, path, body string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, method, rc.Host+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return resp.StatusCode, err
	}
}

const (
	nodes = "/api/v1/nodes"
	node  = `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`
)

// TestFaultsIntegration: each fault does what it says to the second
// matching request and to no other.
func TestFaultsIntegration(t *testing.T) {
	for _, tc := range []struct {
		fault   Fault
		landed  bool          // the faulted create reached the server
		failed  bool          // the client saw a failure
		atLeast time.Duration // the faulted request took at least this long
	}{
		{DropReply, true, true, 0},
		{HoldReply, true, true, 300 * time.Millisecond},
		{Delay, true, false, 200 * time.Millisecond},
		{Swallow, false, true, 300 * time.Millisecond},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			srv := kastest.Shared(t)
			p, kc := Start(t, srv.AdminKubeconfig(t))
			do := client(t, kc)
			rule := &Rule{Method: http.MethodPost, Body: `"n1"`, Nth: 2, Fault: tc.fault, Delay: 200 * time.Millisecond}
			p.Add(rule)
			// The first matching request is forwarded as is: the node is
			// created, and deleted again.
			if code, err := do(t.Context(), http.MethodPost, nodes, node); err != nil || code != http.StatusCreated {
				t.Fatalf("first create: %d %v", code, err)
			}
			srv.Admin(t, http.MethodDelete, nodes+"/n1", nil)
			// A client that gives up after 300ms, where giving up is the point.
			timeout := 10 * time.Second
			if tc.fault == HoldReply || tc.fault == Swallow {
				timeout = 300 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			t0 := time.Now()
			code, err := do(ctx, http.MethodPost, nodes, node)
			took := time.Since(t0)
			if failed := err != nil; failed != tc.failed {
				t.Errorf("second create: %d %v, want failed=%v", code, err, tc.failed)
			}
			if tc.fault == HoldReply && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a held reply gave %v, want the client's timeout", err)
			}
			if took < tc.atLeast {
				t.Errorf("second create took %v, want at least %v", took, tc.atLeast)
			}
			if got := srv.Exists(t, nodes+"/n1"); got != tc.landed {
				t.Errorf("node exists after the faulted create: %v, want %v", got, tc.landed)
			}
			if rule.Fired() != 1 {
				t.Errorf("rule fired %d times, want 1", rule.Fired())
			}
			// The third is forwarded again.
			code, err = do(t.Context(), http.MethodPost, nodes, node)
			if want := map[bool]int{true: http.StatusConflict, false: http.StatusCreated}[tc.landed]; err != nil || code != want {
				t.Errorf("third create: %d %v, want %d", code, err, want)
			}
			if rule.Fired() != 1 {
				t.Errorf("rule fired %d times, want 1", rule.Fired())
			}
		})
	}
}
