// Package faultproxy is a fault-injecting HTTPS reverse proxy for tests: it
// stands between a client and a real kube-apiserver and, for the requests a
// Rule matches (method, path pattern, body substring, nth occurrence),
// forwards the request and then loses the reply (a reset, or a reply that
// never comes until the client gives up), or delays or swallows the request.
// It makes the case a real network makes rarely and a test needs on demand:
// a write that lands on the server while its client sees a failure.
//
// It is deterministic: a Rule fires on exactly the occurrences it names, and
// reports how often it fired, so a fault test can fail when its fault never
// fired. It rewrites a kubeconfig to point at itself (with its own CA and
// the same credentials), so tests of a library and end-to-end tests of the
// built binaries use it alike.
//
// It reads whole requests and replies before passing them on, so it does
// not serve watches or other streamed replies.
//
// It must not import the packages it is used to test (internal/k8s,
// datastore/..., ipam, plugin).
package faultproxy
