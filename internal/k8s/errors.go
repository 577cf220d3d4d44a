package k8s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/calico-win/cni/datastore"
)

// CNIRole is the ClusterRole Calico's manifests bind to the CNI plugin's
// service account: the permissions this client is meant to run with.
const CNIRole = "calico-cni-plugin"

// APIError is a failure the API server answered with (a metav1.Status).
// errors.Is matches it against the datastore sentinels: 404 ErrNotFound;
// 409 ErrExists (AlreadyExists) or ErrConflict; 401 and 403 ErrUnauthorized;
// 429 and 5xx ErrUnavailable.
type APIError struct {
	Verb    string // what was attempted: get, list, create, update, patch, delete
	Path    string // the API path
	Code    int    // HTTP status
	Reason  string // Status.reason, e.g. NotFound, AlreadyExists, Conflict, Forbidden
	Message string // Status.message
	// NotServed: a 404 that is not a Status, so the server has no such
	// resource type at all (a CRD that is not installed), not a missing object.
	NotServed bool
	// Denied is, for a 403, the permission the server found missing
	// (parsed from the message), e.g. {Verb: "patch", Resource: "pods/status"}.
	Denied *Permission
}

// Permission is one RBAC verb on one resource.
type Permission struct {
	Verb, Resource, Group, Namespace string
	User                             string // who was refused
}

func (e *APIError) Error() string {
	switch {
	case e.NotServed:
		return fmt.Sprintf("the Kubernetes API does not serve %s (%s %s: %s): are Calico's CRDs installed?",
			e.Path, e.Verb, e.Path, e.Message)
	case e.Code == http.StatusUnauthorized:
		return fmt.Sprintf("the Kubernetes API refused our credentials (401 Unauthorized) on %s %s: "+
			"the token has expired or been revoked, or the client certificate is not trusted; "+
			"renew the CNI kubeconfig's token (%s)", e.Verb, e.Path, e.Message)
	case e.Code == http.StatusForbidden:
		if d := e.Denied; d != nil {
			res := d.Resource
			if d.Group != "" {
				res += "." + d.Group
			}
			where := ""
			if d.Namespace != "" {
				where = fmt.Sprintf(" in namespace %q", d.Namespace)
			}
			return fmt.Sprintf("the Kubernetes API denied %s permission to %s %s%s (403 Forbidden): "+
				"the %s ClusterRole bound to it must grant %q on %q", d.User, d.Verb, res, where, CNIRole, d.Verb, res)
		}
		return fmt.Sprintf("the Kubernetes API denied %s %s (403 Forbidden): %s; check the %s ClusterRole",
			e.Verb, e.Path, e.Message, CNIRole)
	}
	return fmt.Sprintf("Kubernetes API: %s %s: %s (%d %s)", e.Verb, e.Path, e.Message, e.Code, e.Reason)
}

func (e *APIError) Unwrap() error {
	switch {
	case e.NotServed:
		return nil
	case e.Code == http.StatusNotFound:
		return datastore.ErrNotFound
	case e.Code == http.StatusConflict && e.Reason == "AlreadyExists":
		return datastore.ErrExists
	case e.Code == http.StatusConflict:
		return datastore.ErrConflict
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden:
		return datastore.ErrUnauthorized
	case e.Code == http.StatusTooManyRequests || e.Code >= 500:
		return datastore.ErrUnavailable
	}
	return nil
}

// status is the part of a metav1.Status an error needs.
type status struct {
	Message string `json:"message"`
	Reason  string `json:"reason"`
}

func statusFailure(r request, code int, body []byte) error {
	var s status
	isStatus := json.Unmarshal(body, &s) == nil && s.Reason != ""
	if !isStatus {
		s.Message, s.Reason = strings.TrimSpace(string(body)), http.StatusText(code)
	}
	e := &APIError{Verb: r.verb, Path: r.path, Code: code, Reason: s.Reason, Message: s.Message,
		NotServed: code == http.StatusNotFound && !isStatus}
	if code == http.StatusForbidden {
		e.Denied = parseForbidden(s.Message)
	}
	return e
}

// forbidden matches the RBAC authorizer's refusal, e.g.
//
//	pods "p1" is forbidden: User "system:serviceaccount:kube-system:calico-cni-plugin"
//	cannot patch resource "pods/status" in API group "" in the namespace "default"
//
// It is compiled on first use: package init runs in every CNI process.
var forbidden = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]*)")?`)
})

func parseForbidden(msg string) *Permission {
	m := forbidden().FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	return &Permission{User: m[1], Verb: m[2], Resource: m[3], Group: m[4], Namespace: m[5]}
}

// transportFailure classifies a request that got no answer: TLS refusals
// (of the server's certificate by us, or of ours by the server) will not
// heal by retrying and are ErrUnauthorized; anything else (refused
// connection, DNS, timeout, an exec credential plugin that failed, as
// client-go reported it) is ErrUnavailable.
func transportFailure(server *url.URL, r request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ee *ExecError
	if errors.As(err, &ee) {
		return fmt.Errorf("%w: no credentials for %s %s on the Kubernetes API at %s: %w",
			datastore.ErrUnavailable, r.verb, r.path, server.Host, err)
	}
	var (
		alert     tls.AlertError
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		op        *net.OpError
	)
	if errors.As(err, &alert) || errors.As(err, &verify) || errors.As(err, &authority) ||
		errors.As(err, &hostname) || errors.As(err, &invalid) || (errors.As(err, &op) && op.Op == "remote error") {
		return fmt.Errorf("%w: TLS with the Kubernetes API at %s failed on %s %s: %w",
			datastore.ErrUnauthorized, server.Host, r.verb, r.path, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: the Kubernetes API at %s did not answer %s %s in time: %w",
			datastore.ErrUnavailable, server.Host, r.verb, r.path, err)
	}
	return fmt.Errorf("%w: cannot reach the Kubernetes API at %s (%s %s): %w",
		datastore.ErrUnavailable, server.Host, r.verb, r.path, err)
}
