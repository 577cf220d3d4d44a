package k8s

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// The HTTP transport client-go would build for an apiConfig (rest.HTTPClientFor
// with transport.New and SetTransportDefaults): TLS 1.2 or later with the
// configured CA, client certificate and server name; the proxy from the
// cluster's proxy-url or the environment; HTTP/2 (net/http's own, so that
// golang.org/x/net/http2 is not linked: requests sent in parallel share one
// connection); then the bearer token, basic auth or exec plugin
// credentials, the User-Agent and impersonation headers.

// newTransport returns the round tripper for ac and the *http.Transport
// under it.
func newTransport(ac *apiConfig, userAgent string) (http.RoundTripper, *http.Transport, error) {
	hasCA := ac.CAFile != "" || len(ac.CAData) > 0
	hasCert := (ac.CertFile != "" || len(ac.CertData) > 0) && (ac.KeyFile != "" || len(ac.KeyData) > 0)
	hasToken := ac.Token != "" || ac.TokenFile != ""
	if hasCA && ac.Insecure {
		return nil, nil, errors.New("specifying a root certificates file with the insecure flag is not allowed")
	}
	if ac.Username != "" && hasToken {
		return nil, nil, errors.New("username/password or bearer token may be set, but not both")
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: ac.Insecure, ServerName: ac.ServerName}
	if hasCA {
		data, err := dataOrFile(ac.CAData, ac.CAFile)
		if err != nil {
			return nil, nil, err
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(data) {
			return nil, nil, fmt.Errorf("unable to load root certificates from %s: no certificate in it",
				nameOr(ac.CAFile, "certificate-authority-data"))
		}
	}
	auth := &authTransport{userAgent: userAgent, impersonate: ac.Impersonate}
	switch {
	case hasCert:
		cert, err := loadKeyPair(ac)
		if err != nil {
			return nil, nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	case ac.Exec != nil && !hasToken && ac.Username == "":
		cluster, err := execClusterOf(ac)
		if err != nil {
			return nil, nil, err
		}
		if auth.exec, err = newExecAuth(ac.Exec, cluster); err != nil {
			return nil, nil, err
		}
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if c := auth.exec.current(); c != nil && c.cert != nil {
				return c.cert, nil
			}
			return &tls.Certificate{}, nil
		}
	}
	switch {
	case hasToken:
		auth.token = &fileToken{bearer: ac.Token, path: ac.TokenFile}
		if ac.Token == "" {
			tok, err := auth.token.read()
			if err != nil {
				return nil, nil, err
			}
			auth.token.bearer = tok
		}
	case ac.Username != "":
		auth.username, auth.password = ac.Username, ac.Password
	}

	dial := ac.dial
	if dial == nil {
		dial = defaultDial
	}
	proxy := http.ProxyFromEnvironment
	if ac.Proxy != nil {
		proxy = http.ProxyURL(ac.Proxy)
	}
	t := &http.Transport{
		Proxy:               proxy,
		DialContext:         dial,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 25,
		DisableCompression:  ac.DisableCompression,
		// client-go's health check of an idle HTTP/2 connection.
		HTTP2: &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second},
	}
	if os.Getenv("DISABLE_HTTP2") == "" {
		t.ForceAttemptHTTP2 = true
	} else {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	auth.next = t
	return auth, t, nil
}

// dataOrFile is data, else the content of file.
func dataOrFile(data []byte, file string) ([]byte, error) {
	if len(data) > 0 || file == "" {
		return data, nil
	}
	return os.ReadFile(file)
}

func loadKeyPair(ac *apiConfig) (tls.Certificate, error) {
	cert, err := dataOrFile(ac.CertData, ac.CertFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := dataOrFile(ac.KeyData, ac.KeyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("the client certificate %s and key %s: %w",
			nameOr(ac.CertFile, "client-certificate-data"), nameOr(ac.KeyFile, "client-key-data"), err)
	}
	return pair, nil
}

// nameOr names a file, or the kubeconfig field that held the data instead.
func nameOr(file, field string) string {
	if file != "" {
		return file
	}
	return "(" + field + ")"
}

// execClusterOf is what an exec plugin is told of the cluster
// (rest.ConfigToExecCluster).
func execClusterOf(ac *apiConfig) (*execCluster, error) {
	ca, err := dataOrFile(ac.CAData, ac.CAFile)
	if err != nil {
		return nil, fmt.Errorf("failed to load CA bundle for execProvider: %w", err)
	}
	c := &execCluster{Server: ac.Host, TLSServerName: ac.ServerName, InsecureSkipTLSVerify: ac.Insecure,
		CertificateAuthorityData: ca, DisableCompression: ac.DisableCompression, Config: ac.Exec.clusterConfig}
	if ac.Proxy != nil {
		c.ProxyURL = ac.Proxy.String()
	}
	return c, nil
}

// fileToken is a bearer token, read from path when there is one (re-read
// after a minute, as client-go's cached file token source): the file wins
// over the token whenever it can be read.
type fileToken struct {
	bearer, path string

	mu     sync.Mutex
	cached string
	at     time.Time
}

func (f *fileToken) read() (string, error) {
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("read empty token from file %q", f.path)
	}
	return tok, nil
}

func (f *fileToken) get() string {
	if f.path == "" {
		return f.bearer
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cached == "" || time.Since(f.at) > time.Minute {
		if tok, err := f.read(); err == nil {
			f.cached, f.at = tok, time.Now()
		}
	}
	if f.cached != "" {
		return f.cached
	}
	return f.bearer
}

// authTransport adds the credentials and identifying headers to each
// request.
type authTransport struct {
	next               *http.Transport
	token              *fileToken
	username, password string
	exec               *execAuth
	userAgent          string
	impersonate        impersonation
}

func (t *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	var creds *execCreds
	switch {
	case r.Header.Get("Authorization") != "":
	case t.token != nil:
		r.Header.Set("Authorization", "Bearer "+t.token.get())
	case t.username != "":
		r.SetBasicAuth(t.username, t.password)
	case t.exec != nil:
		var err error
		if creds, err = t.exec.get(r.Context()); err != nil {
			return nil, err
		}
		if creds.token != "" {
			r.Header.Set("Authorization", "Bearer "+creds.token)
		}
	}
	if r.Header.Get("User-Agent") == "" {
		ua := t.userAgent
		if ua == "" {
			ua = filepath.Base(os.Args[0]) + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")"
		}
		r.Header.Set("User-Agent", ua)
	}
	if im := t.impersonate; im.User != "" {
		r.Header.Set("Impersonate-User", im.User)
		if im.UID != "" {
			r.Header.Set("Impersonate-Uid", im.UID)
		}
		for _, g := range im.Groups {
			r.Header.Add("Impersonate-Group", g)
		}
	}
	resp, err := t.next.RoundTrip(r)
	if err == nil && creds != nil && resp.StatusCode == http.StatusUnauthorized {
		t.exec.refused(creds)
	}
	return resp, err
}

// WrappedRoundTripper is the transport under t.
func (t *authTransport) WrappedRoundTripper() http.RoundTripper { return t.next }

func (t *authTransport) CloseIdleConnections() { t.next.CloseIdleConnections() }
