package etcd

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/calico-win/cni/datastore"
)

// Config says how to reach etcd: the netconf's etcd_endpoints and
// etcd_*_file keys.
type Config struct {
	// Endpoints are tried in turn when one cannot be connected to or does
	// not answer in time (see failover.go).
	// "host:port" without a scheme means http, or https when TLS files are set.
	Endpoints []string
	CAFile    string // etcd_ca_cert_file: CA bundle that signs the server certificates
	CertFile  string // etcd_cert_file: client certificate
	KeyFile   string // etcd_key_file: its private key
	// Timeout bounds each request, on top of the caller's context (default 5s).
	Timeout time.Duration
	// DialTimeout bounds one connection attempt to one endpoint, so that a
	// dead first endpoint leaves time for the next (default 2s).
	DialTimeout time.Duration
	// AttemptTimeout bounds one request to one endpoint, so that a member
	// that accepts connections but never answers (stopped, wedged) leaves
	// time to try the others (default Timeout/4, at most 2s).
	AttemptTimeout time.Duration
	// HedgeDelay is how long a read waits for an endpoint before asking
	// the next one too (default AttemptTimeout/8).
	HedgeDelay time.Duration
	// MaxTxnOps is the server's --max-txn-ops (default 128). Reads needing
	// more operations are split into several transactions at one revision.
	MaxTxnOps int
	// SessionCache, when set with TLS, is a file where the TLS session is
	// kept for the next process to resume (internal/tlssession).
	SessionCache string
}

// Store is a datastore.Store on etcd. It is safe for concurrent use.
type Store struct {
	endpoints      []*url.URL
	http           *client
	timeout        time.Duration
	attemptTimeout time.Duration
	hedgeDelay     time.Duration
	maxTxnOps      int
	preferred      atomic.Int32 // index of the endpoint that answered last
	roundTrips     atomic.Int64
	resolved       atomic.Int64
}

var _ datastore.Store = (*Store)(nil)

// New returns a Store for cfg. It does not contact etcd.
func New(cfg Config) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("etcd: no endpoints configured")
	}
	secure := cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != ""
	s := &Store{timeout: cfg.Timeout, maxTxnOps: cfg.MaxTxnOps}
	if s.timeout <= 0 {
		s.timeout = 5 * time.Second
	}
	s.attemptTimeout = cfg.AttemptTimeout
	if s.attemptTimeout <= 0 {
		s.attemptTimeout = min(s.timeout/4, 2*time.Second)
	}
	s.hedgeDelay = cfg.HedgeDelay
	if s.hedgeDelay <= 0 {
		s.hedgeDelay = s.attemptTimeout / 8
	}
	if s.maxTxnOps <= 0 {
		s.maxTxnOps = 128
	}
	for _, e := range cfg.Endpoints {
		u, err := parseEndpoint(e, secure)
		if err != nil {
			return nil, err
		}
		s.endpoints = append(s.endpoints, u)
	}
	var err error
	if s.http, err = newClient(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

func parseEndpoint(e string, secure bool) (*url.URL, error) {
	e = strings.TrimSpace(e)
	if !strings.Contains(e, "://") {
		if secure {
			e = "https://" + e
		} else {
			e = "http://" + e
		}
	}
	u, err := url.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("etcd: bad endpoint %q: %w", e, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("etcd: bad endpoint %q: want http(s)://host:port", e)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// RoundTrips is the number of HTTP requests sent to etcd so far, including
// attempts on endpoints that could not be reached.
func (s *Store) RoundTrips() int64 { return s.roundTrips.Load() }

// Resolutions is the number of times a write whose answer was lost had to
// be resolved by reading.
func (s *Store) Resolutions() int64 { return s.resolved.Load() }

// Close releases idle connections.
func (s *Store) Close() error {
	s.http.closeIdle()
	return nil
}
