package k8s

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client talks to one API server. It is safe for concurrent use; requests
// issued in parallel share one HTTP/2 connection.
type Client struct {
	base     *url.URL // scheme, host and any path prefix of the server
	http     *http.Client
	timeout  time.Duration
	requests atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64 // most requests in flight at once since ResetPeak

	// The first request goes alone: requests sent at once by a new client
	// would each open a TCP and TLS connection before HTTP/2 could put
	// them all on one. The others wait for up, closed once it has its
	// connection (or has failed to get one), and then all go at once.
	first  atomic.Bool // taken by the first request
	upOnce sync.Once
	up     chan struct{}

	// early opens the first connection as soon as the Client is made
	// (preconnect.go); nil when it cannot.
	early *tlsDialer
}

// New returns a Client for cfg. It reads the kubeconfig and credential files
// and starts opening the connection its first request will use
// (preconnect.go); it sends no request (nor runs an exec credential plugin).
func New(cfg Config) (*Client, error) {
	ac, err := loadConfig(cfg)
	if err != nil {
		return nil, err
	}
	c, err := newClient(ac, cfg.Timeout, cfg.UserAgent)
	if err != nil {
		return nil, err
	}
	if cfg.SessionCache != "" {
		c.keepSessions(cfg.SessionCache, ac)
	}
	c.connectEarly()
	return c, nil
}

// keepSessions makes c resume the TLS session kept in file path, and keep
// there the sessions it makes (ac is c's configuration).
func (c *Client) keepSessions(path string, ac *apiConfig) {
	if err := useSessionCache(c.http.Transport.(counting).next, fileSessionCache(path, ac)); err != nil {
		slog.Debug("no TLS session cache", "err", err)
	}
}

// newClient returns a Client for ac.
func newClient(ac *apiConfig, timeout time.Duration, userAgent string) (*Client, error) {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	base, err := serverURL(ac)
	if err != nil {
		return nil, fmt.Errorf("the Kubernetes API server %q: %w", ac.Host, err)
	}
	rt, t, err := newTransport(ac, userAgent)
	if err != nil {
		return nil, fmt.Errorf("a Kubernetes API client for %s: %w", base, err)
	}
	c := &Client{base: base, timeout: timeout}
	c.http = &http.Client{Transport: counting{next: rt, c: c}}
	if ac.Exec == nil && directTLS(t, base.String()) {
		c.early = &tlsDialer{dial: t.DialContext, config: func() *tls.Config { return t.TLSClientConfig },
			h2: t.ForceAttemptHTTP2, timeout: t.TLSHandshakeTimeout, predial: ac.dial == nil}
		t.DialTLSContext = c.early.DialTLSContext
	} else {
		dropPredialed()
	}
	return c, nil
}

// connectEarly starts the connection the first request will use
// (preconnect.go).
func (c *Client) connectEarly() {
	if c.early == nil {
		return
	}
	c.early.openEarly(c.earlyAddr())
}

// earlyAddr is the host:port of the early connection.
func (c *Client) earlyAddr() string {
	port := c.base.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(c.base.Hostname(), port)
}

// DirectAddr is the host:port the Client connects to directly (https, no
// proxy, no exec plugin), which a later process may Predial; "" otherwise.
func (c *Client) DirectAddr() string {
	if c.early == nil {
		return ""
	}
	return c.earlyAddr()
}

// Server is the API server's URL.
func (c *Client) Server() string { return c.base.String() }

// Requests is the number of HTTP requests sent so far, failed ones included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Peak is the largest number of requests that were in flight at once (sent,
// and their answer not yet read) since the last ResetPeak: how tests and
// benchmarks see that independent requests went out in parallel.
func (c *Client) Peak() int64 { return c.peak.Load() }

// ResetPeak starts a new Peak measurement.
func (c *Client) ResetPeak() { c.peak.Store(c.inFlight.Load()) }

// Close releases idle connections.
func (c *Client) Close() {
	if c.early != nil {
		c.early.close()
	}
	c.http.CloseIdleConnections()
}

// counting counts requests, and the requests in flight until their body is
// closed.
type counting struct {
	next http.RoundTripper
	c    *Client
}

func (t counting) RoundTrip(r *http.Request) (*http.Response, error) {
	t.c.requests.Add(1)
	n := t.c.inFlight.Add(1)
	for p := t.c.peak.Load(); n > p && !t.c.peak.CompareAndSwap(p, n); p = t.c.peak.Load() {
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.c.inFlight.Add(-1)
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, done: func() { t.c.inFlight.Add(-1) }}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport under
// t (without it, Client.Close did nothing).
func (t counting) CloseIdleConnections() {
	if ht := baseTransport(t.next); ht != nil {
		ht.CloseIdleConnections()
	}
}

type doneBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// request is one API call.
type request struct {
	verb        string // for error messages: get, list, create, update, patch, delete
	method      string
	path        string // absolute API path, e.g. /api/v1/namespaces/default/pods/p1
	query       url.Values
	contentType string // of body; JSON when empty
	accept      string // JSON when empty
	body        any    // marshalled to JSON, or []byte as is
}

// encodedBody is r's body as sent: nil for none.
func (r request) encodedBody() ([]byte, error) {
	if b, ok := r.body.([]byte); ok || r.body == nil {
		return b, nil
	}
	b, err := json.Marshal(r.body)
	if err != nil {
		return nil, fmt.Errorf("encoding the body of %s %s: %w", r.method, r.path, err)
	}
	return b, nil
}

// do sends r and decodes a successful answer into out (when not nil).
// Failures are *APIError (the server answered) or errors wrapping
// datastore.ErrUnavailable / ErrUnauthorized (it could not be reached, or TLS
// failed).
func (c *Client) do(ctx context.Context, r request, out any) error {
	if up := c.firstUp(); !closed(up) {
		// The body is encoded before waiting for the connection: a type's
		// first encoding in a process is slow (reflection), and would
		// otherwise come after the wait.
		if r.body != nil {
			b, err := r.encodedBody()
			if err != nil {
				return err
			}
			r.body = b
		}
		if c.first.CompareAndSwap(false, true) {
			// The others wait for the connection, not for this answer:
			// once it is up (GotConn), HTTP/2 carries them alongside.
			release := sync.OnceFunc(func() { close(up) })
			defer release()
			ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { release() }})
			return c.send(ctx, r, out)
		}
		select {
		case <-up:
		case <-ctx.Done(): // send reports it
		}
	}
	return c.send(ctx, r, out)
}

// firstUp is closed once the first request has its connection, or has
// failed to get one.
func (c *Client) firstUp() chan struct{} {
	c.upOnce.Do(func() { c.up = make(chan struct{}) })
	return c.up
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (c *Client) send(ctx context.Context, r request, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + r.path
	u.RawQuery = r.query.Encode()
	var body io.Reader
	b, err := r.encodedBody()
	if err != nil {
		return err
	}
	if r.body != nil {
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", cmp.Or(r.accept, "application/json"))
	if body != nil {
		req.Header.Set("Content-Type", cmp.Or(r.contentType, "application/json"))
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		slog.Debug("API request failed", "method", r.method, "path", r.path, "ms", msSince(start), "err", err)
		return transportFailure(c.base, r, err)
	}
	slog.Debug("API request", "method", r.method, "path", r.path, "status", resp.StatusCode, "ms", msSince(start),
		"tlsResumed", resp.TLS != nil && resp.TLS.DidResume)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return transportFailure(c.base, r, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusFailure(r, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the answer to %s %s: %w", r.method, r.path, err)
	}
	return nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
