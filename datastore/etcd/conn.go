package etcd

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// client is a synchronous HTTP/1.1 client for the gateway's POSTs: the
// request is written and its answer read on the calling goroutine, over
// keep-alive connections kept per endpoint. net/http's Transport runs three
// goroutines per connection (the dial, a read loop, a write loop) and hands
// each request and answer between them; in a process that lives a few
// milliseconds those hand-offs (thread wake-ups, scheduler work) cost more
// than the exchange. What the Transport did and this keeps: no proxy, the
// dial timeout, TLS with the configured certificates and session cache,
// keep-alive, and the errors classifyTransport sorts (a failed dial is a
// *net.OpError with Op "dial", so the request provably never left).
type client struct {
	dialer net.Dialer
	tls    *tls.Config

	mu   sync.Mutex
	idle map[string][]*hconn // by endpoint host
}

type hconn struct {
	net.Conn
	br *bufio.Reader
}

func newClient(cfg Config) (*client, error) {
	dialTimeout := cfg.DialTimeout
	if dialTimeout <= 0 {
		dialTimeout = 2 * time.Second
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	// No TCP keep-alive probes: the first would go out after 30 s idle, and
	// a call's connections live for its deadline (10 s) at most; each
	// setting is a system call per connection.
	return &client{dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: -1}, tls: tlsCfg, idle: map[string][]*hconn{}}, nil
}

// conn returns an idle connection to ep, or a new one.
func (c *client) conn(ctx context.Context, ep *url.URL) (*hconn, error) {
	for {
		c.mu.Lock()
		l := c.idle[ep.Host]
		if len(l) == 0 {
			c.mu.Unlock()
			break
		}
		hc := l[len(l)-1]
		c.idle[ep.Host] = l[:len(l)-1]
		c.mu.Unlock()
		if !closedByPeer(hc.Conn) {
			return hc, nil
		}
		hc.Close()
	}
	raw, err := c.dialer.DialContext(ctx, "tcp", hostPort(ep))
	if err != nil {
		return nil, err
	}
	if ep.Scheme != "https" {
		return &hconn{Conn: raw, br: bufio.NewReader(raw)}, nil
	}
	cfg := c.tls.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = ep.Hostname()
	}
	tc := tls.Client(raw, cfg)
	hctx, cancel := context.WithTimeout(ctx, c.dialer.Timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return &hconn{Conn: tc, br: bufio.NewReader(tc)}, nil
}

func hostPort(ep *url.URL) string {
	if ep.Port() != "" {
		return ep.Host
	}
	if ep.Scheme == "https" {
		return net.JoinHostPort(ep.Hostname(), "443")
	}
	return net.JoinHostPort(ep.Hostname(), "80")
}

// aLongTimeAgo is a deadline that makes every pending I/O return at once.
var aLongTimeAgo = time.Unix(1, 0)

// post sends body to ep's path and returns the answer's status and body.
func (c *client) post(ctx context.Context, ep *url.URL, path string, body []byte) (int, []byte, error) {
	hc, err := c.conn(ctx, ep)
	if err != nil {
		return 0, nil, err
	}
	// The context's end (its deadline, or the call giving up on this
	// attempt) interrupts the exchange by moving the connection's deadline.
	stop := context.AfterFunc(ctx, func() { hc.SetDeadline(aLongTimeAgo) })
	status, data, keep, err := hc.exchange(ep, path, body)
	if !stop() {
		keep = false // the deadline was moved to cut the exchange short
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err) // as net/http: the context's error
	}
	if err != nil || !keep {
		hc.Close()
		return status, data, err
	}
	c.mu.Lock()
	c.idle[ep.Host] = append(c.idle[ep.Host], hc)
	c.mu.Unlock()
	return status, data, nil
}

func (hc *hconn) exchange(ep *url.URL, path string, body []byte) (status int, data []byte, keep bool, err error) {
	req := make([]byte, 0, 160+len(body))
	req = append(req, "POST "...)
	req = append(req, ep.EscapedPath()+path...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, ep.Host...)
	req = append(req, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	req = strconv.AppendInt(req, int64(len(body)), 10)
	req = append(req, "\r\n\r\n"...)
	req = append(req, body...)
	if _, err := hc.Write(req); err != nil {
		return 0, nil, false, err
	}
	resp, err := http.ReadResponse(hc.br, nil)
	if err != nil {
		return 0, nil, false, err
	}
	data, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, nil, false, err
	}
	return resp.StatusCode, data, !resp.Close && hc.br.Buffered() == 0, nil
}

// closeIdle closes the connections kept for reuse.
func (c *client) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for host, l := range c.idle {
		for _, hc := range l {
			hc.Close()
		}
		delete(c.idle, host)
	}
}
