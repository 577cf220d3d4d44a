package k8s

import (
	"errors"
	"net/http"

	"github.com/calico-win/cni/internal/tlssession"
)

// The TLS session is kept between processes (internal/tlssession), for the
// exact server, CA and credentials of ac.

// fileSessionCache returns the cache for ac at path. Its parts are those
// keyed when client-go built the configuration (the same digest, so a
// session kept before still serves), then basic auth and the exec plugin,
// when set.
func fileSessionCache(path string, ac *apiConfig) *tlssession.File {
	parts := []tlssession.Part{tlssession.String(ac.Host), tlssession.String(ac.ServerName),
		tlssession.FileName(ac.CAFile), tlssession.FileName(ac.CertFile), tlssession.FileName(ac.KeyFile),
		tlssession.Bytes(ac.CAData), tlssession.Bytes(ac.CertData), tlssession.Bytes(ac.KeyData),
		tlssession.String(ac.Token), tlssession.String(ac.TokenFile)}
	if ac.Username != "" || ac.Password != "" {
		parts = append(parts, tlssession.String("basic"), tlssession.String(ac.Username), tlssession.String(ac.Password))
	}
	if e := ac.Exec; e != nil {
		parts = append(parts, tlssession.String("exec"), tlssession.String(e.Command))
		for _, a := range e.Args {
			parts = append(parts, tlssession.String(a))
		}
		for _, v := range e.Env {
			parts = append(parts, tlssession.String(v.Name+"="+v.Value))
		}
	}
	return tlssession.New(path, parts...)
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

// baseTransport is the *http.Transport under rt (authTransport wraps it),
// or nil.
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
