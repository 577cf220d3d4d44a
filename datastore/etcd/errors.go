package etcd

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/calico-win/cni/datastore"
)

// ErrNotGateway: the endpoint answered, but not as etcd's v3 JSON gateway
// (HTTP 404 for a path etcd serves): the endpoint's URL is wrong.
var ErrNotGateway = errors.New("the endpoint is not etcd's v3 gateway (check the URL's path)")

// gRPC status codes that etcd's gateway reports in its error body.
const (
	codeDeadlineExceeded = 4
	codePermissionDenied = 7
	codeUnavailable      = 14
	codeUnauthenticated  = 16
)

// classifyTransport sorts an error from http.Client.Do: TLS refusals (ours
// of the server's certificate, or the server's alert about ours) are
// ErrUnauthorized, since retrying will not help; everything else is a
// transportError, marked dial when no byte of the request was sent.
func classifyTransport(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop the `Post "<url>":` that every call has
	}
	var (
		alert     tls.AlertError
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	var op *net.OpError
	isOp := errors.As(err, &op)
	if errors.As(err, &alert) || errors.As(err, &verify) || errors.As(err, &authority) ||
		errors.As(err, &hostname) || errors.As(err, &invalid) || (isOp && op.Op == "remote error") {
		return fmt.Errorf("%w: TLS: %w", datastore.ErrUnauthorized, err)
	}
	var dns *net.DNSError
	dial := (isOp && op.Op == "dial") || errors.As(err, &dns)
	return &transportError{err: err, dial: dial}
}

// gatewayFailure turns a non-200 answer into an error carrying etcd's own
// message, classified by its gRPC code or, failing that, the HTTP status.
func gatewayFailure(status int, body []byte) error {
	var g gatewayError
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &g) == nil {
		switch {
		case g.Message != "":
			msg = g.Message
		case g.Error != "":
			msg = g.Error
		}
	}
	switch {
	case g.Code == codeUnauthenticated || g.Code == codePermissionDenied ||
		status == http.StatusUnauthorized || status == http.StatusForbidden ||
		strings.Contains(msg, "user name is empty"): // auth is on and we sent no token
		return fmt.Errorf("%w: %s", datastore.ErrUnauthorized, msg)
	case g.Code == codeUnavailable || g.Code == codeDeadlineExceeded ||
		status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		return fmt.Errorf("%w: %s", datastore.ErrUnavailable, msg)
	case g.Code != 0:
		return fmt.Errorf("%s (gRPC code %d, HTTP %d)", msg, g.Code, status)
	case status == http.StatusNotFound:
		// etcd's gateway serves every path this client uses: a 404 is a
		// wrong URL path in the endpoint, or something else answering.
		return fmt.Errorf("%w: HTTP 404: %s", ErrNotGateway, msg)
	default:
		return fmt.Errorf("HTTP %d: %s", status, msg)
	}
}
