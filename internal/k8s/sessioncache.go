package k8s

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
)

// Every CNI call is a new process, so without help each one makes a full
// TLS handshake with the API server: certificate verification both ways, a
// signature by the server and, with a client certificate, one by the client
// (RSA 2048 as kubeadm makes them). A file session cache keeps the TLS 1.3
// session ticket the server last issued, so the next process resumes the
// session (PSK with a fresh ECDHE exchange: still forward secret) and skips
// the certificate work.
//
// The ticket resumes the client's identity too (a resumed session carries
// the client certificate it was made with), so the file is as secret as the
// credentials: it is written 0600, and it is used only with the exact
// server, CA and credentials it was made with (their hash is in the file).

// sessionFile is a tls.ClientSessionCache of one entry in a file.
type sessionFile struct {
	path string
	id   [sha256.Size]byte // server, CA and credentials the entry is for
}

// fileSessionCache returns the cache for rc at path.
func fileSessionCache(path string, rc *rest.Config) *sessionFile {
	h := sha256.New()
	for _, s := range []string{rc.Host, rc.TLSClientConfig.ServerName, rc.TLSClientConfig.CAFile,
		rc.TLSClientConfig.CertFile, rc.TLSClientConfig.KeyFile, rc.BearerToken, rc.BearerTokenFile} {
		h.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	for _, b := range [][]byte{rc.TLSClientConfig.CAData, rc.TLSClientConfig.CertData, rc.TLSClientConfig.KeyData} {
		h.Write([]byte(strconv.Itoa(len(b)) + ":"))
		h.Write(b)
	}
	// A certificate or key file replaced in place (a rotation) is another identity.
	for _, f := range []string{rc.TLSClientConfig.CertFile, rc.TLSClientConfig.KeyFile} {
		if f == "" {
			continue
		}
		if st, err := os.Stat(f); err == nil {
			h.Write([]byte(st.ModTime().UTC().Format(time.RFC3339Nano) + strconv.FormatInt(st.Size(), 10)))
		}
	}
	c := &sessionFile{path: path}
	h.Sum(c.id[:0])
	return c
}

// The file: the id, the length of the cache key and the key, the length of
// the ticket and the ticket, then the session state.

func (c *sessionFile) Get(key string) (*tls.ClientSessionState, bool) {
	b, err := os.ReadFile(c.path)
	if err != nil {
		return nil, false
	}
	rest, ok := bytes.CutPrefix(b, c.id[:])
	if !ok {
		return nil, false
	}
	k, rest, ok := cut(rest)
	if !ok || string(k) != key {
		return nil, false
	}
	ticket, state, ok := cut(rest)
	if !ok {
		return nil, false
	}
	ss, err := tls.ParseSessionState(state)
	if err != nil {
		return nil, false
	}
	cs, err := tls.NewResumptionState(ticket, ss)
	if err != nil {
		return nil, false
	}
	return cs, true
}

func (c *sessionFile) Put(key string, cs *tls.ClientSessionState) {
	if cs == nil {
		os.Remove(c.path)
		return
	}
	ticket, ss, err := cs.ResumptionState()
	if err != nil || ss == nil {
		return
	}
	state, err := ss.Bytes()
	if err != nil {
		return
	}
	var b []byte
	b = append(b, c.id[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ticket)))
	b = append(b, ticket...)
	b = append(b, state...)
	tmp, err := os.CreateTemp(filepath.Dir(c.path), filepath.Base(c.path)+".*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), c.path) != nil {
		os.Remove(tmp.Name())
	}
}

// cut splits a 4-byte length-prefixed field off b.
func cut(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(len(b)-4) < uint64(n) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

// useSessionCache sets cache on the TLS configuration of the transport under
// rt.
func useSessionCache(rt http.RoundTripper, cache tls.ClientSessionCache) error {
	t := baseTransport(rt)
	if t == nil {
		return errors.New("no *http.Transport under the client's round trippers")
	}
	if t.TLSClientConfig != nil { // else plain HTTP
		t.TLSClientConfig.ClientSessionCache = cache
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
