package hcnservice

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/calico-win/cni/hns"
)

// EnvAddr names the environment variable through which the shim finds the
// service ("127.0.0.1:PORT"). Wine passes Linux environment variables on to
// Windows processes, so the test scripts export it before starting Wine.
const EnvAddr = "CALICO_HCN_SERVICE"

// callTimeout bounds one call: the simulator's file locks and an armed
// latency are the only waits.
const callTimeout = 60 * time.Second

// Backend is the HNS the service serves: hns.Client plus the fault-free
// listings (hns/sim implements both). Lookups in enumerate queries go
// through the hns.Client methods, so faults armed for them fire exactly
// once per lookup; opening and querying an object uses the listings, as
// they are HCN-internal steps of one hns.Client call.
type Backend interface {
	hns.Client
	ListNetworks(ctx context.Context) ([]hns.Network, error)
	ListEndpoints(ctx context.Context) ([]hns.Endpoint, error)
	ListNamespaces(ctx context.Context) ([]hns.Namespace, error)
}

// Server serves the shim's calls. It keeps the handle table; all object
// state is the backend's.
type Server struct {
	b Backend

	mu      sync.Mutex
	next    uint64
	handles map[uint64]handle
}

// handle is an open HCN object: what HcnOpen*/HcnCreate* returned.
type handle struct {
	kind string // Network, Endpoint, Namespace
	id   string
	pid  uint32
}

// New returns a server over b.
func New(b Backend) *Server {
	return &Server{b: b, handles: map[uint64]handle{}}
}

// Serve accepts connections on l until ctx is done or l fails.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("hcn service: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c)
		}()
	}
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(callTimeout + 5*time.Second))
	req, err := ReadRequest(bufio.NewReader(c))
	if err != nil {
		slog.Warn("hcn service: bad request", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp := s.Call(ctx, req)
	slog.Debug("hcn call", "op", req.Op, "id", req.ID, "handle", req.Handle, "pid", req.PID,
		"hresult", fmt.Sprintf("0x%08x", resp.HResult), "result", resp.Result)
	if err := WriteResponse(c, resp); err != nil {
		slog.Warn("hcn service: writing response", "op", req.Op, "err", err)
	}
}

// Call serves one DLL call.
func (s *Server) Call(ctx context.Context, req *Request) *Response {
	if req.Op == "HNSCall" {
		return s.hnsCall(ctx, req.Arg)
	}
	verb, k, ok := parseOp(req.Op)
	if !ok {
		return fail(eNotImpl, fmt.Sprintf("hcn service: unknown call %q", req.Op))
	}
	switch verb {
	case "Enumerate":
		return s.enumerate(ctx, k, req.Arg)
	case "Open":
		return s.open(ctx, k, req.ID, req.PID)
	case "Create":
		return s.create(ctx, k, req)
	case "Modify":
		return s.modify(ctx, k, req.Handle, req.Arg)
	case "Query":
		return s.query(ctx, k, req.Handle)
	case "Delete":
		return s.delete(ctx, k, req.ID)
	case "Close":
		return s.close(k, req.Handle)
	}
	return fail(eNotImpl, fmt.Sprintf("hcn service: unknown call %q", req.Op))
}

// OpenHandles lists the handles still open, by kind and object ID (for leak
// checks: every hcn function closes what it opened on success).
func (s *Server) OpenHandles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for h, v := range s.handles {
		out = append(out, fmt.Sprintf("%d %s %s pid=%d", h, v.kind, v.id, v.pid))
	}
	sort.Strings(out)
	return out
}

func (s *Server) newHandle(kind, id string, pid uint32) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	s.handles[s.next] = handle{kind: kind, id: id, pid: pid}
	return s.next
}

// lookupHandle returns the open handle h of kind k.
func (s *Server) lookupHandle(k *kind, h uint64) (handle, *Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.handles[h]
	if !ok || v.kind != k.name {
		return handle{}, fail(eInvalidHandl, "The handle is invalid.")
	}
	return v, nil
}

func (s *Server) close(k *kind, h uint64) *Response {
	if _, bad := s.lookupHandle(k, h); bad != nil {
		return bad
	}
	s.mu.Lock()
	delete(s.handles, h)
	s.mu.Unlock()
	return &Response{}
}
