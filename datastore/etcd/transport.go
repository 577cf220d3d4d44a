package etcd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/tlssession"
)

// newTransport builds the keep-alive HTTP/1.1 transport, with the client
// certificate and CA when configured. Proxies from the environment are
// ignored: etcd is reached directly, as Calico's client does.
func newTransport(cfg Config) (*http.Transport, error) {
	dialTimeout := cfg.DialTimeout
	if dialTimeout <= 0 {
		dialTimeout = 2 * time.Second
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: dialTimeout,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}, nil
}

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

// call POSTs req to the gateway path and decodes the answer into resp. It
// moves on to the next endpoint only when the connection could not be made,
// so that a request is never sent twice.
func (s *Store) call(ctx context.Context, path string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("etcd: encoding %s: %w", path, err)
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	start := int(s.preferred.Load())
	var earlier strings.Builder // failures before the last, as text
	var last error
	for i := range s.endpoints {
		idx := (start + i) % len(s.endpoints)
		ep := s.endpoints[idx]
		err := s.post(ctx, ep.String()+path, body, resp)
		if err == nil {
			s.preferred.Store(int32(idx))
			return nil
		}
		var te *transportError
		if !errors.As(err, &te) {
			return fmt.Errorf("etcd %s: %w", ep.Host, err)
		}
		if last != nil {
			fmt.Fprintf(&earlier, "%v; ", last)
		}
		last = fmt.Errorf("etcd %s: %w", ep.Host, te.err)
		if ctx.Err() != nil {
			last = fmt.Errorf("etcd %s: no answer after %v: %w", ep.Host, time.Since(begin).Round(time.Millisecond), te.err)
		}
		if !te.dial || ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("%w: %s%w", datastore.ErrUnavailable, earlier.String(), last)
}

// transportError is a failure to exchange a request with one endpoint;
// dial says the request never left.
type transportError struct {
	err  error
	dial bool
}

func (e *transportError) Error() string { return e.err.Error() }

func (s *Store) post(ctx context.Context, url string, body []byte, resp any) error {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", "application/json")
	s.roundTrips.Add(1)
	hresp, err := s.http.Do(hreq)
	if err != nil {
		return classifyTransport(err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(hresp.Body)
	if err != nil {
		return &transportError{err: err}
	}
	if hresp.StatusCode != http.StatusOK {
		return gatewayFailure(hresp.StatusCode, data)
	}
	if err := json.Unmarshal(data, resp); err != nil {
		return fmt.Errorf("decoding answer: %w", err)
	}
	return nil
}
