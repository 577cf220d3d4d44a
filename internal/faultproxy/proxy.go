package faultproxy

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// Proxy is a running fault-injecting reverse proxy in front of one server.
type Proxy struct {
	srv      *httptest.Server
	upstream *url.URL
	client   *http.Client

	mu    sync.Mutex
	rules []*Rule
	done  chan struct{} // closed by Close: held replies and delays end
}

// Start starts a proxy in front of the server of kubeconfig, stopped when
// the test ends, and returns it with a copy of kubeconfig that goes through
// it (same credentials, the proxy's address and CA).
func Start(t testing.TB, kubeconfig string) (*Proxy, string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatalf("faultproxy: reading %s: %v", kubeconfig, err)
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok || cfg.Clusters[ctx.Cluster] == nil {
		t.Fatalf("faultproxy: %s has no current cluster", kubeconfig)
	}
	cluster := cfg.Clusters[ctx.Cluster]
	up, err := url.Parse(cluster.Server)
	if err != nil {
		t.Fatalf("faultproxy: server %q: %v", cluster.Server, err)
	}
	pool := x509.NewCertPool()
	ca := cluster.CertificateAuthorityData
	if len(ca) == 0 && cluster.CertificateAuthority != "" {
		if ca, err = os.ReadFile(cluster.CertificateAuthority); err != nil {
			t.Fatalf("faultproxy: %v", err)
		}
	}
	pool.AppendCertsFromPEM(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	p := &Proxy{upstream: up, client: &http.Client{Transport: tr}, done: make(chan struct{})}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.EnableHTTP2 = true
	p.srv.StartTLS()
	t.Cleanup(p.Close)

	cluster.Server = p.srv.URL
	cluster.CertificateAuthority = ""
	cluster.CertificateAuthorityData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
	out := filepath.Join(t.TempDir(), "kubeconfig-faultproxy")
	if err := clientcmd.WriteToFile(*cfg, out); err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	return p, out
}

// URL is the proxy's https:// address.
func (p *Proxy) URL() string { return p.srv.URL }

// Add installs rules; the first rule that faults a request wins.
func (p *Proxy) Add(rules ...*Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, rules...)
}

// Clear removes every rule.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Close stops the proxy, ending held replies and delays.
func (p *Proxy) Close() {
	p.mu.Lock()
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	p.mu.Unlock()
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.client.CloseIdleConnections()
}

// fault is the fault for a request, if a rule takes it.
func (p *Proxy) fault(r *http.Request, body []byte) (*Rule, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if rule.take(r.Method, r.URL.Path, body) {
			return rule, true
		}
	}
	return nil, false
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	rule, faulty := p.fault(r, body)
	if faulty {
		switch rule.Fault {
		case Swallow:
			p.wait(r, 0)
			panic(http.ErrAbortHandler)
		case Delay:
			if !p.wait(r, rule.Delay) {
				panic(http.ErrAbortHandler)
			}
		}
	}
	resp, err := p.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body) // the whole reply: the write has landed
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if faulty {
		switch rule.Fault {
		case DropReply:
			panic(http.ErrAbortHandler) // a reset stream (HTTP/2) or connection (HTTP/1)
		case HoldReply:
			p.wait(r, 0)
			panic(http.ErrAbortHandler)
		}
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(reply)
}

// forward sends r to the upstream server, with its headers (credentials
// included) and body.
func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	u := *p.upstream
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	// Not the client's context: a write the client gave up on still lands.
	req, err := http.NewRequest(r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %s %s: %w", r.Method, r.URL.Path, err)
	}
	return resp, nil
}

// wait blocks for d (0: forever) or until the client gives up or the proxy
// closes, and tells whether d passed.
func (p *Proxy) wait(r *http.Request, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-r.Context().Done():
	case <-p.done:
	}
	return false
}
