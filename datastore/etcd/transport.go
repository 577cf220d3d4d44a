package etcd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"

	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/tlssession"
)

func tlsConfig(cfg Config) (*tls.Config, error) {
	if cfg.CAFile == "" && cfg.CertFile == "" && cfg.KeyFile == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: reading etcd_ca_cert_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd: etcd_ca_cert_file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, fmt.Errorf("etcd: etcd_cert_file and etcd_key_file must be set together")
	}
	if cfg.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: loading client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	if cfg.SessionCache != "" {
		tlssession.New(cfg.SessionCache, tlssession.String(strings.Join(cfg.Endpoints, ",")),
			tlssession.FileName(cfg.CAFile), tlssession.FileName(cfg.CertFile), tlssession.FileName(cfg.KeyFile)).Configure(c)
	}
	return c, nil
}

// transportError is a failure to exchange a request with one endpoint;
// dial says the request never left.
type transportError struct {
	err  error
	dial bool
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// attemptError is one endpoint's failure that another endpoint may not
// share: no connection, no answer in time, or an answer saying the member
// cannot serve (no leader, a timed-out proposal). sent says the request may
// have reached etcd, so a write may have been applied.
type attemptError struct {
	host string
	err  error
	sent bool
}

func (e *attemptError) Error() string { return fmt.Sprintf("etcd %s: %v", e.host, e.err) }
func (e *attemptError) Unwrap() error { return e.err }

// attempt is one exchange with one endpoint, bounded by timeout (an
// attempt timeout) so that a member that accepts connections but never
// answers (a stopped or wedged process) costs a fraction of the call's
// deadline. It
// returns the raw answer, or an *attemptError when trying elsewhere may
// help, or another error when it will not (a refusal, a bad request).
func (s *Store) attempt(ctx context.Context, idx int, path string, body []byte, timeout time.Duration) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ep := s.endpoints[idx]
	begin := time.Now()
	data, err := s.post(actx, ep, path, body)
	if err == nil {
		s.preferred.Store(int32(idx))
		return data, nil
	}
	var te *transportError
	switch {
	case errors.As(err, &te):
		if actx.Err() != nil {
			err = fmt.Errorf("no answer after %v: %w", time.Since(begin).Round(time.Millisecond), te.err)
		}
	case errors.Is(err, datastore.ErrUnavailable):
		// The member answered that it cannot serve now: another may.
	default:
		return nil, fmt.Errorf("etcd %s: %w", ep.Host, err)
	}
	// Later calls start at the next endpoint, unless another call has
	// already moved on.
	s.preferred.CompareAndSwap(int32(idx), int32((idx+1)%len(s.endpoints)))
	return nil, &attemptError{host: ep.Host, err: err, sent: te == nil || !te.dial}
}

// post POSTs body to ep's path and returns the answer's body when etcd
// answered 200.
func (s *Store) post(ctx context.Context, ep *url.URL, path string, body []byte) ([]byte, error) {
	s.roundTrips.Add(1)
	status, data, err := s.http.post(ctx, ep, path, body)
	if err != nil {
		return nil, classifyTransport(err)
	}
	if status != http.StatusOK {
		return nil, gatewayFailure(status, data)
	}
	return data, nil
}

func decode(path string, data []byte, resp any) error {
	if err := json.Unmarshal(data, resp); err != nil {
		return fmt.Errorf("etcd: decoding the answer to %s: %w", path, err)
	}
	return nil
}

// unavailable is the error of a call that no endpoint answered.
func unavailable(ctx context.Context, begin time.Time, failures []error) error {
	if len(failures) == 0 {
		return fmt.Errorf("%w: no answer after %v: %w", datastore.ErrUnavailable, time.Since(begin).Round(time.Millisecond), ctx.Err())
	}
	msg := ""
	for _, f := range failures[:len(failures)-1] {
		msg += f.Error() + "; "
	}
	last := failures[len(failures)-1]
	if ctx.Err() != nil {
		return fmt.Errorf("%w: no answer after %v: %s%w", datastore.ErrUnavailable, time.Since(begin).Round(time.Millisecond), msg, last)
	}
	return fmt.Errorf("%w: %s%w", datastore.ErrUnavailable, msg, last)
}
