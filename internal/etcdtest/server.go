// Package etcdtest runs a real etcd server for tests, and reads and seeds it
// the way Calico's own tools (calicoctl, calico-node) write it. It only
// speaks etcd's JSON gateway over net/http, so it shares no code with the
// datastore/etcd backend it is used to check.
//
// Tests that need etcd fail, never skip silently, when no etcd binary is
// found ($ETCD_BIN, or etcd in PATH; scripts/setup.sh installs Debian's
// etcd-server).
// CALICO_WIN_SKIP_INTEGRATION=1 skips them on purpose.
//
// It must not import datastore/etcd, ipam or plugin.
package etcdtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SkipEnv names the variable that skips every test needing etcd.
const SkipEnv = "CALICO_WIN_SKIP_INTEGRATION"

// Server is one running etcd.
type Server struct {
	endpoint string
	tls      *TLSFiles
	dir      string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	client   *http.Client
	stopOnce sync.Once
}

// TLSFiles are the PEM files of a TLS server's CA and of a client
// certificate it accepts.
type TLSFiles struct {
	CAFile, CertFile, KeyFile string
}

// Start starts an etcd of the test's own, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return startForTest(t, false)
}

// StartTLS starts an etcd that serves only HTTPS and requires a client
// certificate (--client-cert-auth); TLS() names the files a client needs.
func StartTLS(t testing.TB) *Server {
	t.Helper()
	return startForTest(t, true)
}

func startForTest(t testing.TB, secure bool) *Server {
	t.Helper()
	bin := Binary(t)
	s, err := start(bin, t.TempDir(), secure)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("etcd log (%s), last lines:\n%s", s.logPath, s.LogTail())
		}
		s.Stop()
	})
	return s
}

// Binary finds the etcd executable, or ends the test: skipped only when
// asked for by SkipEnv.
func Binary(t testing.TB) string {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("%s=1: skipping a test that needs a real etcd", SkipEnv)
	}
	if b := os.Getenv("ETCD_BIN"); b != "" {
		return b
	}
	b, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("this test needs a real etcd, and none was found ($ETCD_BIN is unset and etcd is not in PATH): "+
			"run the project's setup, scripts/setup.sh (Debian: apt-get install etcd-server), or set %s=1 to skip such tests", SkipEnv)
	}
	return b
}

// Endpoints returns the client URLs, for datastore/etcd's Config.
func (s *Server) Endpoints() []string { return []string{s.endpoint} }

// TLS returns the CA and client certificate files of a StartTLS server
// (nil for a plain one).
func (s *Server) TLS() *TLSFiles { return s.tls }

// LogTail returns the last lines of the server's log.
func (s *Server) LogTail() string { return s.logSince(0) }

// logSince returns the last lines the log gained after its first offset
// bytes.
func (s *Server) logSince(offset int64) string {
	b, _ := os.ReadFile(s.logPath)
	if offset > int64(len(b)) {
		offset = 0
	}
	lines := strings.Split(strings.TrimRight(string(b[offset:]), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

func (s *Server) logSize() int64 {
	fi, err := os.Stat(s.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Stop stops the server (TERM, then KILL after 5 s). It may be called
// early, to test what clients do when etcd is gone.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd.Process.Signal(terminate) != nil {
			_ = s.cmd.Process.Kill()
		}
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.client.CloseIdleConnections()
	})
}

// StartIn starts a plain-HTTP etcd that keeps its data and log under dir
// and outlives any one test: the caller stops it. internal/kastest runs
// kube-apiserver's etcd this way.
func StartIn(bin, dir string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return start(bin, dir, false)
}

func start(bin, dir string, secure bool) (*Server, error) {
	var lastErr error
	for attempt := range 3 { // a free port may be taken before etcd binds it
		s, err := startOnce(bin, dir, secure, attempt)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

var errPortTaken = errors.New("port taken")

func startOnce(bin, dir string, secure bool, attempt int) (*Server, error) {
	ports, err := FreePorts(2)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	s := &Server{dir: dir, exited: make(chan struct{}), client: &http.Client{Timeout: 5 * time.Second}}
	var tlsArgs []string
	if secure {
		scheme = "https"
		files, cfg, err := writeCerts(dir)
		if err != nil {
			return nil, err
		}
		s.tls = files
		s.client.Transport = &http.Transport{TLSClientConfig: cfg}
		tlsArgs = []string{"--cert-file", filepath.Join(dir, "server.pem"), "--key-file", filepath.Join(dir, "server-key.pem"),
			"--client-cert-auth", "--trusted-ca-file", files.CAFile}
	}
	client := fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	s.endpoint = client
	s.logPath = filepath.Join(dir, "etcd.log")
	args := []string{
		"--name", "etcdtest",
		"--data-dir", filepath.Join(dir, "data-"+strconv.Itoa(attempt)),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "etcdtest=" + peer,
		"--heartbeat-interval", "10", "--election-timeout", "100",
		"--logger", "zap", "--log-outputs", "stderr",
	}
	if supportsNoFsync(bin) {
		args = append(args, "--unsafe-no-fsync")
	}
	args = append(args, tlsArgs...)

	log, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	fmt.Fprintf(log, "### %s %s\n", bin, strings.Join(args, " "))
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()

	if err := s.waitHealthy(20 * time.Second); err != nil {
		s.Stop()
		tail := s.LogTail()
		if strings.Contains(tail, "address already in use") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, fmt.Errorf("etcd did not become healthy: %v\nlog %s:\n%s", err, s.logPath, tail)
	}
	return s, nil
}

func (s *Server) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("etcd exited: %v", s.cmd.ProcessState)
		default:
		}
		resp, err := s.client.Get(s.endpoint + "/health")
		if err == nil {
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(body.String(), `"true"`) {
				return nil
			}
			err = fmt.Errorf("/health: %d %s", resp.StatusCode, body.String())
		}
		last = err
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after %s: %v", limit, last)
}

// FreePorts returns n loopback ports that were free a moment ago (a server
// may still lose one to another process before it binds it).
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// supportsNoFsync tells whether this etcd knows --unsafe-no-fsync (3.5+ and
// late 3.4 releases; Debian's 3.4.23 does not).
var noFsync sync.Map // binary path -> bool

func supportsNoFsync(bin string) bool {
	if v, ok := noFsync.Load(bin); ok {
		return v.(bool)
	}
	out, _ := exec.Command(bin, "--help").CombinedOutput()
	ok := bytes.Contains(out, []byte("--unsafe-no-fsync"))
	noFsync.Store(bin, ok)
	return ok
}
