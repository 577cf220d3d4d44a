package k8s

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// A CNI call sends its first API request a little while after it has made
// its Client: it reads its node-local state and checks HNS first. The
// connection that request needs (TCP, then the TLS handshake, resumed when
// a session is kept) is started when the Client is made, so that it goes on
// meanwhile: over a network, two round trips and the handshake's crypto
// off every call. Only for a server reached directly (no proxy) and
// credentials known up front (no exec plugin, which runs at the first
// request); a failed early connection is dropped, and the request dials as
// it would have.

// tlsDialer opens the TLS connections of a transport itself
// (http.Transport.DialTLSContext), so that one can be opened before the
// transport asks for it.
type tlsDialer struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// predial: the TCP connection Predial started may stand in for dial
	// (dial is the default one, whose connections it makes).
	predial bool
	// config is the transport's TLS config, read when a connection is
	// opened (the session cache is set after the dialer is made). The
	// transport writes to it once, at its first request (its HTTP/2 setup
	// adds the ALPN protocols), so an early connection clones it before
	// any request can be sent (openEarly), not in its own goroutine.
	config  func() *tls.Config
	h2      bool
	timeout time.Duration

	mu    sync.Mutex
	early *earlyConn
}

// earlyConn is a connection opened before it was asked for.
type earlyConn struct {
	addr   string
	done   chan struct{}
	conn   net.Conn
	err    error
	cancel context.CancelFunc
}

// dialTLS opens a TLS connection to addr as http.Transport would, with a
// copy of base: the configured server name, else addr's host; ALPN h2 when
// HTTP/2 is on.
func (d *tlsDialer) dialTLS(ctx context.Context, network, addr string, base *tls.Config) (net.Conn, error) {
	var raw net.Conn
	if d.predial {
		raw = takePredialed(ctx, addr)
	}
	if raw == nil {
		var err error
		if raw, err = d.dial(ctx, network, addr); err != nil {
			return nil, err
		}
	}
	cfg := base.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg.ServerName = host
	}
	cfg.NextProtos = []string{"http/1.1"}
	if d.h2 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	hctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return tc, nil
}

// DialTLSContext is the transport's: the early connection to addr when
// there is one and it succeeded, else a new one.
func (d *tlsDialer) DialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	e := d.early
	if e != nil && e.addr == addr {
		d.early = nil
	} else {
		e = nil
	}
	d.mu.Unlock()
	if e != nil {
		select {
		case <-e.done:
			if e.err == nil {
				return e.conn, nil
			}
		case <-ctx.Done():
			e.cancel()
			return nil, ctx.Err()
		}
	}
	return d.dialTLS(ctx, network, addr, d.config())
}

// openEarly starts the connection to addr.
func (d *tlsDialer) openEarly(addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	base := d.config().Clone()
	e := &earlyConn{addr: addr, done: make(chan struct{}), cancel: cancel}
	d.mu.Lock()
	d.early = e
	d.mu.Unlock()
	go func() {
		defer close(e.done)
		e.conn, e.err = d.dialTLS(ctx, "tcp", addr, base)
	}()
}

// close drops an early connection no request took.
func (d *tlsDialer) close() {
	d.mu.Lock()
	e := d.early
	d.early = nil
	d.mu.Unlock()
	if e == nil {
		return
	}
	e.cancel()
	<-e.done
	if e.conn != nil {
		e.conn.Close()
	}
}

// directTLS tells whether requests to server go over TLS to it directly:
// https, and no proxy configured or taken from the environment.
func directTLS(t *http.Transport, server string) bool {
	req, err := http.NewRequest(http.MethodGet, server, nil)
	if err != nil || req.URL.Scheme != "https" || t.Proxy == nil {
		return err == nil && req.URL.Scheme == "https"
	}
	p, err := t.Proxy(req)
	return err == nil && p == nil
}
