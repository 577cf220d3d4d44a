package faultproxy

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Fault is what happens to a request a Rule matches.
type Fault int

const (
	// DropReply forwards the request, waits for the server's reply, and
	// resets the stream instead of passing it on: the write lands, the
	// client sees a broken connection.
	DropReply Fault = iota
	// HoldReply forwards the request and holds the server's reply until the
	// client gives up (its timeout or cancellation): the write lands, the
	// client sees a timeout.
	HoldReply
	// Delay waits Rule.Delay (or until the client gives up), then forwards
	// the request and its reply.
	Delay
	// Swallow never forwards the request and never answers: a server that
	// is unreachable for this request.
	Swallow
)

func (f Fault) String() string {
	switch f {
	case DropReply:
		return "drop-reply"
	case HoldReply:
		return "hold-reply"
	case Delay:
		return "delay"
	case Swallow:
		return "swallow"
	}
	return "fault?"
}

// Rule selects requests and the fault to inject into them.
type Rule struct {
	Method string         // "" matches every method
	Writes bool           // matches only POST, PUT, PATCH and DELETE
	Path   *regexp.Regexp // matched against the URL path; nil matches every path
	// Body, when set, must occur in the request body (e.g. `"deleted":true`
	// to tell a soft-delete mark from another update).
	Body string
	// Nth is the matching occurrence to fault, counting from 1; 0 faults
	// every one. Times, with Nth > 0, faults that many from Nth on (0 = 1).
	Nth, Times int
	Fault      Fault
	Delay      time.Duration // for Delay

	mu      sync.Mutex
	matched int
	fired   int
}

// Match is a Rule for method and a path regular expression, faulting the
// first match.
func Match(method, pathRE string, f Fault) *Rule {
	return &Rule{Method: method, Path: regexp.MustCompile(pathRE), Nth: 1, Fault: f}
}

// Fired is how many requests the rule has faulted so far.
func (r *Rule) Fired() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fired
}

// take counts a request against the rule and tells whether to fault it.
func (r *Rule) take(method, path string, body []byte) bool {
	if r.Method != "" && !strings.EqualFold(r.Method, method) {
		return false
	}
	if r.Writes && method != http.MethodPost && method != http.MethodPut && method != http.MethodPatch && method != http.MethodDelete {
		return false
	}
	if r.Path != nil && !r.Path.MatchString(path) {
		return false
	}
	if r.Body != "" && !strings.Contains(string(body), r.Body) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.matched++
	times := max(r.Times, 1)
	if r.Nth == 0 || (r.matched >= r.Nth && r.matched < r.Nth+times) {
		r.fired++
		return true
	}
	return false
}
