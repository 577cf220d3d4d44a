package k8s

import (
	"errors"
	"net/http"

	"k8s.io/client-go/rest"

	"github.com/calico-win/cni/internal/tlssession"
)

// The TLS session is kept between processes (internal/tlssession), for the
// exact server, CA and credentials of rc.

// fileSessionCache returns the cache for rc at path.
func fileSessionCache(path string, rc *rest.Config) *tlssession.File {
	t := rc.TLSClientConfig
	return tlssession.New(path, tlssession.String(rc.Host), tlssession.String(t.ServerName),
		tlssession.FileName(t.CAFile), tlssession.FileName(t.CertFile), tlssession.FileName(t.KeyFile),
		tlssession.Bytes(t.CAData), tlssession.Bytes(t.CertData), tlssession.Bytes(t.KeyData),
		tlssession.String(rc.BearerToken), tlssession.String(rc.BearerTokenFile))
}

// useSessionCache makes the transport under rt use cache.
func useSessionCache(rt http.RoundTripper, cache *tlssession.File) error {
	t := baseTransport(rt)
	if t == nil {
		return errors.New("no *http.Transport under the client's round trippers")
	}
	if t.TLSClientConfig != nil { // else plain HTTP
		cache.Configure(t.TLSClientConfig)
	}
	return nil
}

// baseTransport is the *http.Transport under rt (client-go wraps it in
// round trippers for authentication and the user agent), or nil.
func baseTransport(rt http.RoundTripper) *http.Transport {
	for i := 0; i < 16 && rt != nil; i++ {
		switch t := rt.(type) {
		case *http.Transport:
			return t
		case interface{ WrappedRoundTripper() http.RoundTripper }:
			rt = t.WrappedRoundTripper()
		default:
			return nil
		}
	}
	return nil
}
