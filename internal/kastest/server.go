package kastest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/calico-win/cni/internal/etcdtest"
)

// Server is a running kube-apiserver with its own etcd.
type Server struct {
	dir        string
	url        string // https://127.0.0.1:<port>
	pki        *pki
	adminToken string
	client     *http.Client // trusts the CA; requests carry the admin token
	etcd       *etcdtest.Server
	kas        *process
	crds       CRDSet

	mu      sync.Mutex
	cni     string // the CNI identity's kubeconfig, made on first use
	cniCert string // the same identity with a client certificate (CNICertKubeconfig)
}

// Start starts a server of the test's own, with Calico's v1 CRDs applied,
// stopped when the test ends. Most tests use the package's Shared one.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, CRDsV1)
}

// StartWith is Start with the CRD set crds.
func StartWith(t testing.TB, crds CRDSet) *Server {
	t.Helper()
	kas, etcd := binaries(t)
	s, err := start(kas, etcd, t.TempDir(), crds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kube-apiserver log (%s), last lines:\n%s", s.kas.logPath, s.kas.tail(30))
		}
		s.Stop()
	})
	return s
}

func start(kasBin, etcdBin, dir string, crds CRDSet) (*Server, error) {
	t0 := time.Now()
	s := &Server{dir: dir, crds: crds}
	var err error
	if s.etcd, err = etcdtest.StartIn(etcdBin, filepath.Join(dir, "etcd")); err != nil {
		return nil, err
	}
	etcdURL := s.etcd.Endpoints()[0]
	if s.pki, err = writePKI(dir); err != nil {
		s.Stop()
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.pki.caPEM)
	s.client = &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	s.adminToken = hex.EncodeToString(tok[:])
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(s.adminToken+",admin,admin,system:masters\n"), 0o600); err != nil {
		s.Stop()
		return nil, err
	}
	for attempt := range 3 {
		if err = s.startAPIServer(kasBin, etcdURL, tokens, attempt); !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		s.Stop()
		return nil, err
	}
	ready := time.Since(t0)
	if err := s.applyCRDs(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("applying Calico's CRDs: %w", err)
	}
	if err := s.warmUp(); err != nil {
		s.Stop()
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "kastest: kube-apiserver %s ready in %s, %s CRDs established after %s (%s)\n",
		s.url, ready.Round(time.Millisecond), crds, time.Since(t0).Round(time.Millisecond), dir)
	return s, nil
}

func (s *Server) startAPIServer(bin, etcdURL, tokens string, attempt int) error {
	ports, err := etcdtest.FreePorts(1)
	if err != nil {
		return err
	}
	args := []string{
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(ports[0]),
		"--cert-dir", filepath.Join(s.dir, "certs"),
		"--tls-cert-file", s.pki.certFile, "--tls-private-key-file", s.pki.keyFile,
		"--token-auth-file", tokens,
		"--client-ca-file", s.pki.caFile, // client certificates (CertKubeconfig)
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", s.pki.saPubFile,
		"--service-account-signing-key-file", s.pki.saKeyFile,
		"--service-cluster-ip-range", "10.96.0.0/16",
		// No controller-manager here: nothing would create the default
		// ServiceAccounts pods need, nor the Endpoints of a loopback address.
		"--disable-admission-plugins", "ServiceAccount",
		"--endpoint-reconciler-type", "none",
	}
	s.kas, err = startProcess("kube-apiserver", bin, args, filepath.Join(s.dir, "kube-apiserver-"+strconv.Itoa(attempt)+".log"))
	if err != nil {
		return err
	}
	s.url = "https://127.0.0.1:" + strconv.Itoa(ports[0])
	err = poll(120*time.Second, 100*time.Millisecond, func() (bool, error) {
		if err := s.kas.running(); err != nil {
			return true, err
		}
		code, body, err := s.do(http.MethodGet, "/readyz", nil, "")
		if err != nil {
			return false, err
		}
		if code != http.StatusOK {
			return false, fmt.Errorf("/readyz: %d %s", code, body)
		}
		return true, nil
	})
	if err != nil {
		s.kas.stop(10 * time.Second)
		if s.kas.portTaken() {
			return fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return fmt.Errorf("kube-apiserver did not become ready: %v\nlog %s:\n%s", err, s.kas.logPath, s.kas.tail(30))
	}
	return nil
}

// Stop stops kube-apiserver, then etcd (the other order makes the
// apiserver's shutdown spin on etcd retries).
func (s *Server) Stop() {
	if s.kas != nil {
		s.kas.stop(15 * time.Second)
	}
	if s.etcd != nil {
		s.etcd.Stop()
	}
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
}

// URL is the server's https://127.0.0.1:<port>.
func (s *Server) URL() string { return s.url }

// CAFile is the PEM file of the CA that signed the serving certificate.
func (s *Server) CAFile() string { return s.pki.caFile }

// LogTail returns the last lines of the kube-apiserver log.
func (s *Server) LogTail() string { return s.kas.tail(30) }

// do sends one request as the administrator: body is marshalled to JSON
// unless it is []byte.
func (s *Server) do(method, path string, body any, contentType string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return 0, nil, err
			}
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// Admin sends one request as the administrator and fails the test unless
// the answer's status is one of want (default: any 2xx). It returns the body.
func (s *Server) Admin(t testing.TB, method, path string, body any, want ...int) []byte {
	t.Helper()
	code, data, err := s.do(method, path, body, "")
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	ok := len(want) == 0 && code >= 200 && code < 300
	for _, w := range want {
		ok = ok || code == w
	}
	if !ok {
		t.Fatalf("%s %s: %d %s", method, path, code, data)
	}
	return data
}
