package k8s

import (
	"context"
	"net"
	"sync"
	"time"
)

// A CNI call knows its API server before it has read its kubeconfig: the
// plugin writes down, on the node, the address its last call connected to
// (Client.DirectAddr). Predial starts the TCP connection to that address
// as soon as the call has read its network config, so that it goes on
// while the kubeconfig is parsed and the Client made; the Client's early
// connection to that address (preconnect.go) then only does the TLS
// handshake, on it. Nothing is sent on a predialed connection before TLS
// is set up with the kubeconfig's own server name, CA and credentials; one
// no Client asks for is closed.

// defaultDial is how a transport without a test dialer connects: as
// client-go does, with its timeout and keep-alive.
var defaultDial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext

// predialed is a TCP connection started by Predial.
type predialed struct {
	addr string
	done chan struct{}
	conn net.Conn
	err  error
}

var predial struct {
	sync.Mutex
	p     *predialed
	taken bool // once taken (or dropped), no other is started
}

// Predial starts a TCP connection to addr (host:port), once per process,
// for the first Client that connects there directly.
func Predial(addr string) {
	predial.Lock()
	defer predial.Unlock()
	if predial.p != nil || predial.taken {
		return
	}
	p := &predialed{addr: addr, done: make(chan struct{})}
	predial.p = p
	go func() {
		defer close(p.done)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.conn, p.err = defaultDial(ctx, "tcp", addr)
	}()
}

// take takes the predialed connection, if any, for good.
func take() *predialed {
	predial.Lock()
	defer predial.Unlock()
	p := predial.p
	predial.p, predial.taken = nil, true
	return p
}

// takePredialed returns the predialed connection to addr once it is up, and
// nil when there is none, it failed, or ctx ends first. One to another
// address is closed.
func takePredialed(ctx context.Context, addr string) net.Conn {
	p := take()
	if p == nil {
		return nil
	}
	if p.addr != addr {
		go p.drop()
		return nil
	}
	select {
	case <-p.done:
		if p.err != nil {
			return nil
		}
		return p.conn
	case <-ctx.Done():
		go p.drop()
		return nil
	}
}

// dropPredialed closes the predialed connection, if any: the Client does
// not connect directly.
func dropPredialed() {
	if p := take(); p != nil {
		go p.drop()
	}
}

// drop closes the connection once it is up.
func (p *predialed) drop() {
	<-p.done
	if p.conn != nil {
		p.conn.Close()
	}
}
