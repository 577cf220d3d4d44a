//go:build !windows

package plugin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// heldTxnProxy is a plain-HTTP proxy in front of etcd's JSON gateway that
// holds the first transaction matching hold: it has reached the proxy (as
// a request reaches a busy or partitioned etcd), the client may die
// meanwhile, and the test decides when etcd applies it (release).
type heldTxnProxy struct {
	addr    string
	held    chan struct{} // closed when the transaction is held
	release chan struct{} // closed by the test: send it to etcd
	landed  chan struct{} // closed when etcd has answered it
	answer  []byte        // etcd's answer to it
}

func startHeldTxnProxy(t *testing.T, ctx context.Context, target string, hold func(body []byte) bool) *heldTxnProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &heldTxnProxy{addr: "http://" + l.Addr().String(),
		held: make(chan struct{}), release: make(chan struct{}), landed: make(chan struct{})}
	var once sync.Once
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		isHeld := false
		if hold(body) {
			once.Do(func() { isHeld = true })
		}
		if isHeld {
			close(p.held)
			select {
			case <-p.release:
			case <-ctx.Done():
				return
			}
		}
		// The held transaction goes on without its client (on the test's
		// context): etcd applies it whether or not anyone waits for the answer.
		fctx := r.Context()
		if isHeld {
			fctx = ctx
		}
		req, err := http.NewRequestWithContext(fctx, r.Method, target+r.URL.Path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if isHeld {
				p.answer = []byte(err.Error())
				close(p.landed)
			}
			return
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if isHeld {
			p.answer = out
			close(p.landed)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(out)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return p
}

// An ADD killed while its IPAM commit is on its way to etcd, which applies
// it only after the runtime's DEL has run (the leak the chaos campaign
// found): the address must not stay with the dead container.
func TestKilledAddCommitLandingAfterDelIntegration(t *testing.T) {
	h := newHarness(t)
	c := ctx(t)
	// A live pod first: the block exists, so the killed ADD allocates in it
	// (a late claim of a new block cannot be fenced; GC covers it).
	live := pod("live", h.namespace())
	if _, r := h.invoke("ADD", live, 0); r.err != nil {
		t.Fatalf("ADD of the live pod: %v", r.err)
	}
	// The keys of the JSON gateway are base64: match the handle prefix's
	// first 21 bytes (whole base64 groups) in a transaction that puts.
	handleKey := base64.StdEncoding.EncodeToString([]byte("/calico/ipam/v2/handle/")[:21])
	p := startHeldTxnProxy(t, c, h.etcd.Endpoints()[0], func(body []byte) bool {
		return bytes.Contains(body, []byte(`"request_put"`)) && bytes.Contains(body, []byte(handleKey))
	})
	h.conf["etcd_endpoints"] = p.addr
	late := pod("late", h.namespace())
	cmd, _, _ := h.pluginCmd("ADD", late)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.held:
	case <-c.Done():
		_ = cmd.Process.Kill()
		t.Fatal("the ADD's IPAM commit never reached the proxy")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if _, r := h.invoke("DEL", late, 0); r.err != nil {
		t.Fatalf("DEL of the killed pod: %v", r.err)
	}
	close(p.release)
	select {
	case <-p.landed:
	case <-c.Done():
		t.Fatal("the held commit never reached etcd")
	}
	t.Logf("etcd's answer to the late commit: %s", p.answer)
	if _, r := h.invoke("DEL", live, 0); r.err != nil {
		t.Fatalf("DEL of the live pod: %v", r.err)
	}
	h.leakCheck()
}
