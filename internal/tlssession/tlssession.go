// Package tlssession keeps a TLS client's session in a file, so that the
// next process resumes it instead of making a full handshake.
//
// Every CNI call is a new process, so without it each one makes a full TLS
// handshake with the datastore: certificate verification both ways, a
// signature by the server and, with a client certificate, one by the client
// (RSA 2048 as kubeadm and most etcd setups make them). A File keeps the
// TLS 1.3 session ticket the server last issued, and the next process
// resumes the session (PSK with a fresh ECDHE exchange: still forward
// secret) and skips the certificate work.
//
// The ticket resumes the client's identity too (a resumed session carries
// the client certificate it was made with), so the file is as secret as the
// credentials: it is written 0600, and it is used only with the exact
// server, CA and credentials it was made with: their digest (the id given
// to File) is in the file.
//
// It imports only the standard library.
package tlssession

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/calico-win/cni/internal/statedir"
)

// File is a tls.ClientSessionCache of one entry, kept in a file.
type File struct {
	path    string
	id      [sha256.Size]byte
	resumed atomic.Bool // the last handshake resumed the kept session
}

// Configure makes c use f, and tells f whether its handshakes resume.
func (f *File) Configure(c *tls.Config) {
	c.ClientSessionCache = f
	next := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		f.resumed.Store(cs.DidResume)
		if next != nil {
			return next(cs)
		}
		return nil
	}
}

var _ tls.ClientSessionCache = (*File)(nil)

// New returns the cache at path for a client identified by parts (the
// server, the CA, the credentials: anything that makes it another client).
// Files named among FileParts are identified by their size and time too,
// so a certificate replaced in place (a rotation) is another identity.
func New(path string, parts ...Part) *File {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p.b)) + ":"))
		h.Write(p.b)
		if p.file != "" {
			if st, err := os.Stat(p.file); err == nil {
				h.Write([]byte(st.ModTime().UTC().Format(time.RFC3339Nano) + " " + strconv.FormatInt(st.Size(), 10)))
			}
		}
	}
	c := &File{path: path}
	h.Sum(c.id[:0])
	return c
}

// Part is one piece of a client's identity.
type Part struct {
	b    []byte
	file string
}

// String is a piece of identity given as text.
func String(s string) Part { return Part{b: []byte(s)} }

// Bytes is a piece of identity given as bytes.
func Bytes(b []byte) Part { return Part{b: b} }

// FileName is a file holding a piece of identity (a certificate, a key):
// its name, size and modification time.
func FileName(name string) Part { return Part{b: []byte(name), file: name} }

// The file: the id, the length of the cache key and the key, the length of
// the ticket and the ticket, then the session state.

// Get returns the kept session for key, if it is this client's.
func (c *File) Get(key string) (*tls.ClientSessionState, bool) {
	// A resumed session is not verified again: a session others could have
	// written would let them pose as the server, so only a trusted file
	// (internal/statedir) is read.
	b, err := statedir.ReadFile(c.path)
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

// Put keeps cs for key (replacing the file atomically), or removes the file
// when cs is nil. Failures only cost the next process a full handshake.
func (c *File) Put(key string, cs *tls.ClientSessionState) {
	if cs == nil {
		os.Remove(c.path)
		return
	}
	if c.resumed.Load() && c.fresh(key) {
		// The server issues a ticket on every connection, and the kept one
		// (which this connection resumed) stays valid for days (Go
		// servers: 7): rewriting it on every call costs more than a
		// handshake with ECDSA certificates saves.
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
	statedir.WriteFile(c.path, b) // private, replaced atomically
}

// refresh is how often the kept ticket is replaced by a newer one.
const refresh = 10 * time.Minute

// fresh reports whether the file holds this client's session for key,
// written less than refresh ago.
func (c *File) fresh(key string) bool {
	st, err := os.Stat(c.path)
	if err != nil || time.Since(st.ModTime()) > refresh || time.Since(st.ModTime()) < 0 {
		return false
	}
	f, err := os.Open(c.path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(c.id)+4+len(key))
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	rest, ok := bytes.CutPrefix(head, c.id[:])
	if !ok {
		return false
	}
	k, _, ok := cut(rest)
	return ok && string(k) == key
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
