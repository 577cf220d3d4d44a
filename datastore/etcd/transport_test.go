package etcd

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/etcdtest"
)

// closedEndpoint returns a loopback URL nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// silentEndpoint accepts connections and never answers: an etcd that hangs.
func silentEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(done)
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

func TestUnreachableEtcdFailsFast(t *testing.T) {
	dead, silent := closedEndpoint(t), silentEndpoint(t)
	for _, tc := range []struct {
		name      string
		endpoints []string
		timeout   time.Duration
		ctxLimit  time.Duration
		within    time.Duration
		mention   []string
	}{
		{"connection refused", []string{dead}, 5 * time.Second, 0, time.Second, []string{strings.TrimPrefix(dead, "http://"), "refused"}},
		{"every endpoint refused", []string{dead, dead}, 5 * time.Second, 0, time.Second, []string{"refused"}},
		{"no answer: Config.Timeout", []string{silent}, 300 * time.Millisecond, 0, 2 * time.Second, []string{strings.TrimPrefix(silent, "http://")}},
		{"no answer: caller's deadline", []string{silent}, 5 * time.Second, 200 * time.Millisecond, 2 * time.Second, []string{"deadline"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Endpoints: tc.endpoints, Timeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tc.ctxLimit > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxLimit)
				defer cancel()
			}
			start := time.Now()
			_, err = s.Read(ctx, datastore.Query{Config: true})
			took := time.Since(start)
			t.Logf("after %v: %v", took, err)
			if !errors.Is(err, datastore.ErrUnavailable) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
			if took > tc.within {
				t.Errorf("failed after %v, want within %v", took, tc.within)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestEndpointFailoverIntegration(t *testing.T) {
	srv := etcdtest.Shared(t)
	t.Run("a refused endpoint is skipped, then avoided", func(t *testing.T) {
		s, err := New(Config{Endpoints: append([]string{closedEndpoint(t)}, srv.Endpoints()...)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i, want := range []int64{2, 1} {
			before := s.RoundTrips()
			if _, err := s.Read(testCtx(t), datastore.Query{Config: true}); err != nil {
				t.Fatalf("Read %d: %v", i, err)
			}
			if got := s.RoundTrips() - before; got != want {
				t.Errorf("Read %d took %d round trips, want %d", i, got, want)
			}
		}
	})
	t.Run("a request that may have arrived is not sent again", func(t *testing.T) {
		s, err := New(Config{Endpoints: append([]string{silentEndpoint(t)}, srv.Endpoints()...), Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		err = s.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create,
			Value: datastore.Handle{HandleID: "h1", Block: map[string]int{"10.244.166.128/26": 1}}}}})
		if !errors.Is(err, datastore.ErrUnavailable) || s.RoundTrips() != 1 {
			t.Errorf("got %v after %d round trips, want ErrUnavailable after 1", err, s.RoundTrips())
		}
		if _, ok := srv.Get(t, "/calico/ipam/v2/handle/h1"); ok {
			t.Errorf("the write went to the second endpoint")
		}
	})
}

func TestTLSClientCertificatesIntegration(t *testing.T) {
	srv := etcdtest.StartTLS(t)
	files := srv.TLS()
	hostPort := strings.TrimPrefix(srv.Endpoints()[0], "https://")
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"CA and client certificate", Config{Endpoints: srv.Endpoints(), CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile}, nil},
		{"no scheme means https with TLS files", Config{Endpoints: []string{hostPort}, CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile}, nil},
		{"no client certificate", Config{Endpoints: srv.Endpoints(), CAFile: files.CAFile}, datastore.ErrUnauthorized},
		{"server not trusted", Config{Endpoints: srv.Endpoints(), CertFile: files.CertFile, KeyFile: files.KeyFile}, datastore.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = s.Read(testCtx(t), datastore.Query{Config: true, Pools: true})
			t.Logf("Read: %v", err)
			if (tc.want == nil && err != nil) || !errors.Is(err, tc.want) {
				t.Errorf("Read: got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAuthRefusalIntegration(t *testing.T) {
	srv := etcdtest.Start(t)
	for _, step := range []struct{ path, body string }{
		{"/v3/auth/user/add", `{"name":"root","password":"secret"}`},
		{"/v3/auth/role/add", `{"name":"root"}`},
		{"/v3/auth/user/grant", `{"user":"root","role":"root"}`},
		{"/v3/auth/enable", `{}`},
	} {
		resp, err := http.Post(srv.Endpoints()[0]+step.path, "application/json", strings.NewReader(step.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d", step.path, resp.StatusCode)
		}
	}
	s, err := New(Config{Endpoints: srv.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Read(testCtx(t), datastore.Query{Config: true})
	if !errors.Is(err, datastore.ErrUnauthorized) || !strings.Contains(err.Error(), "etcdserver:") {
		t.Errorf("Read with auth enabled and no credentials: got %v, want ErrUnauthorized with etcd's message", err)
	}
}

func TestGatewayErrorKeepsEtcdMessageIntegration(t *testing.T) {
	s, _ := newTestStore(t)
	huge := strings.Repeat("x", 1600<<10) // over etcd's --max-request-bytes (1.5 MiB), under the gateway's 2 MiB
	err := s.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create,
		Value: datastore.Handle{HandleID: "h1", Block: map[string]int{huge: 1}}}}})
	if err == nil || !strings.Contains(err.Error(), "request is too large") {
		t.Fatalf("got %v, want etcd's \"request is too large\"", err)
	}
	for _, sentinel := range []error{datastore.ErrConflict, datastore.ErrUnavailable, datastore.ErrUnauthorized, datastore.ErrExists} {
		if errors.Is(err, sentinel) {
			t.Errorf("%v classified as %v", err, sentinel)
		}
	}
}

func TestGatewayFailureClassification(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   error
		msg    string
	}{
		{401, `{"error":"etcdserver: invalid auth token","code":16,"message":"etcdserver: invalid auth token"}`, datastore.ErrUnauthorized, "invalid auth token"},
		{403, `{"code":7,"message":"etcdserver: permission denied"}`, datastore.ErrUnauthorized, "permission denied"},
		{400, `{"code":3,"message":"etcdserver: user name is empty"}`, datastore.ErrUnauthorized, "user name is empty"},
		{503, `{"code":14,"message":"etcdserver: no leader"}`, datastore.ErrUnavailable, "no leader"},
		{504, `{"code":4,"message":"context deadline exceeded"}`, datastore.ErrUnavailable, "deadline"},
		{400, `{"error":"etcdserver: duplicate key given in txn request","code":3}`, nil, "duplicate key"},
		{421, "etcd received your request, but the Host header was unrecognized.", nil, "HTTP 421"},
	} {
		err := gatewayFailure(tc.status, []byte(tc.body))
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%d %s: error %q lacks %q", tc.status, tc.body, err, tc.msg)
		}
		for _, sentinel := range []error{datastore.ErrUnauthorized, datastore.ErrUnavailable} {
			if errors.Is(err, sentinel) != (sentinel == tc.want) {
				t.Errorf("%d %s: errors.Is(%v, %v) = %v", tc.status, tc.body, err, sentinel, !(sentinel == tc.want))
			}
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no endpoints", Config{}, "no endpoints"},
		{"bad scheme", Config{Endpoints: []string{"unix:///run/etcd.sock"}}, "bad endpoint"},
		{"certificate without key", Config{Endpoints: []string{"https://127.0.0.1:2379"}, CertFile: "c.pem"}, "together"},
		{"missing CA file", Config{Endpoints: []string{"https://127.0.0.1:2379"}, CAFile: filepath.Join(dir, "nope.pem")}, "etcd_ca_cert_file"},
		{"CA file without PEM", Config{Endpoints: []string{"https://127.0.0.1:2379"}, CAFile: notPEM}, "no PEM"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
}
