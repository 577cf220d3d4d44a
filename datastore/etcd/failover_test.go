package etcd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/etcdtest"
)

// lossyProxy stands in front of one etcd endpoint. Reads pass through;
// for each write (a transaction with compares) it does what fate says:
// forward it and lose the answer, or lose it before it arrives, running
// meanwhile, before the connection is dropped, whatever the test needs
// another writer to do.
type lossyProxy struct {
	target string
	fate   func(n int) (forward, lose bool) // n: the write's number, from 1
	meddle func()                           // runs before a lost answer is dropped
	writes atomic.Int32
}

func (p *lossyProxy) start(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

func (p *lossyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	forward, lose := true, false
	if bytes.Contains(body, []byte(`"compare"`)) {
		forward, lose = p.fate(int(p.writes.Add(1)))
	}
	var resp *http.Response
	var err error
	if forward {
		resp, err = http.Post(p.target+r.URL.Path, "application/json", bytes.NewReader(body))
	}
	if lose || err != nil {
		if p.meddle != nil {
			p.meddle()
		}
		conn, _, herr := w.(http.Hijacker).Hijack()
		if herr == nil {
			conn.Close()
		}
		if resp != nil {
			resp.Body.Close()
		}
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// revision is etcd's current revision: each transaction that writes
// raises it by one, so its difference counts the writes applied.
func revision(t *testing.T, s *Store) i64 {
	t.Helper()
	_, rev, err := s.rangesAt(testCtx(t), []rangeRequest{get("/calico/none")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

func TestLostAnswerIsResolvedIntegration(t *testing.T) {
	const block = "10.244.166.128/26"
	handle := func(id string) datastore.Write[datastore.Handle] {
		return datastore.Write[datastore.Handle]{Op: datastore.Create, Value: datastore.Handle{HandleID: id, Block: map[string]int{block: 1}}}
	}
	for _, tc := range []struct {
		name    string
		fate    func(n int) (forward, lose bool)
		meddle  bool // another writer changes the handle before the loss is noticed
		want    error
		writes  i64   // transactions applied in all
		resends int32 // the resend goes to the next endpoint
	}{
		{"applied, answer lost", func(int) (bool, bool) { return true, true }, false, nil, 1, 1},
		{"applied, answer lost, then overwritten by another writer", func(int) (bool, bool) { return true, true }, true, nil, 2, 1},
		{"never arrived", func(n int) (bool, bool) { return n > 1, n == 1 }, false, nil, 1, 1},
		{"never arrived, overtaken by another writer", func(n int) (bool, bool) { return n > 1, n == 1 }, true, datastore.ErrExists, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := etcdtest.Shared(t)
			direct, err := New(Config{Endpoints: srv.Endpoints()})
			if err != nil {
				t.Fatal(err)
			}
			p := &lossyProxy{target: srv.Endpoints()[0], fate: tc.fate}
			if tc.meddle {
				p.meddle = func() { srv.Put(t, handleKey("h1"), `{"handleID":"h1","block":{"10.244.0.0/26":1}}`) }
			}
			// The proxy first, as a member whose answers are lost; only
			// the proxy, when nothing may be sent twice.
			s, err := New(Config{Endpoints: append([]string{p.start(t)}, srv.Endpoints()...)})
			if err != nil {
				t.Fatal(err)
			}
			before := revision(t, direct)
			err = s.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{handle("h1")}})
			t.Logf("Commit: %v (%d writes through the proxy, %d resolutions)", err, p.writes.Load(), s.Resolutions())
			if (tc.want == nil && err != nil) || !errors.Is(err, tc.want) {
				t.Fatalf("Commit: got %v, want %v", err, tc.want)
			}
			if got := revision(t, direct) - before; got != tc.writes {
				t.Errorf("%d transactions applied, want %d", got, tc.writes)
			}
			if s.Resolutions() == 0 {
				t.Errorf("the lost answer was never resolved")
			}
			if got := p.writes.Load(); got != tc.resends {
				t.Errorf("the write went through the proxy %d times, want %d", got, tc.resends)
			}
		})
	}
}

// An update whose answer is lost, and that another writer then changes
// again, is recognised as applied from the key's history.
func TestLostUpdateFoundInHistoryIntegration(t *testing.T) {
	srv := etcdtest.Shared(t)
	direct, err := New(Config{Endpoints: srv.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	h := datastore.Handle{HandleID: "h1", Block: map[string]int{"10.244.166.128/26": 1}}
	if err := direct.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: h}}}); err != nil {
		t.Fatal(err)
	}
	kvs := srv.List(t, handleKey("h1"))
	p := &lossyProxy{target: srv.Endpoints()[0], fate: func(int) (bool, bool) { return true, true }}
	p.meddle = func() {
		for i := range 3 {
			srv.Put(t, handleKey("h1"), `{"handleID":"h1","block":{"10.244.166.128/26":`+string(rune('2'+i))+`}}`)
		}
	}
	s, err := New(Config{Endpoints: append([]string{p.start(t)}, srv.Endpoints()...)})
	if err != nil {
		t.Fatal(err)
	}
	h.Block["10.244.166.128/26"] = 2
	err = s.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Update, Rev: kvs[0].ModRevision, Value: h}}})
	if err != nil {
		t.Fatalf("Commit: %v, want the update found applied in the key's history", err)
	}
	if p.writes.Load() != 1 {
		t.Errorf("the write was sent %d times", p.writes.Load())
	}
}

// A member that accepts connections and never answers costs one attempt
// timeout, not the call's deadline.
func TestSilentMemberIsSkippedIntegration(t *testing.T) {
	srv := etcdtest.Shared(t)
	s, err := New(Config{Endpoints: append([]string{silentEndpoint(t)}, srv.Endpoints()...), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.Read(testCtx(t), datastore.Query{Config: true}); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Read took %v with a silent first member", took)
	}
	s2, err := New(Config{Endpoints: append([]string{silentEndpoint(t)}, srv.Endpoints()...), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err = s2.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create,
		Value: datastore.Handle{HandleID: "h1", Block: map[string]int{"10.244.166.128/26": 1}}}}})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if took > 4*time.Second {
		t.Errorf("Commit took %v with a silent first member, want about one attempt timeout (2s)", took)
	}
	t.Logf("Read and Commit with a silent first member: Commit took %v", took)
}

func TestUnavailableNamesEveryEndpoint(t *testing.T) {
	dead, silent := closedEndpoint(t), silentEndpoint(t)
	s, err := New(Config{Endpoints: []string{silent, dead}, Timeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = s.Read(ctx, datastore.Query{Config: true})
	if !errors.Is(err, datastore.ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
	for _, ep := range []string{dead, silent} {
		if !strings.Contains(err.Error(), strings.TrimPrefix(ep, "http://")) {
			t.Errorf("%v does not name %s", err, ep)
		}
	}
}

// slowProxy answers every request, after delay.
func slowProxy(t *testing.T, target string, delay time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		resp, err := http.Post(target+r.URL.Path, "application/json", bytes.NewReader(body))
		if err != nil {
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// A cluster that is slow everywhere, but answers within the deadline, is
// waited for: the attempt timeout grows with each round, so that failing
// over does not turn slowness into failure.
func TestSlowEtcdIsWaitedForIntegration(t *testing.T) {
	srv := etcdtest.Shared(t)
	slow := slowProxy(t, srv.Endpoints()[0], 700*time.Millisecond)
	s, err := New(Config{Endpoints: []string{slow, slow}, Timeout: 6 * time.Second, AttemptTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(testCtx(t), datastore.Query{Config: true}); err != nil {
		t.Errorf("Read: %v", err)
	}
	before := revision(t, s)
	err = s.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create,
		Value: datastore.Handle{HandleID: "h1", Block: map[string]int{"10.244.166.128/26": 1}}}}})
	if err != nil {
		t.Errorf("Commit: %v", err)
	}
	if got := revision(t, s) - before; got != 1 {
		t.Errorf("%d transactions applied, want 1", got)
	}
}
