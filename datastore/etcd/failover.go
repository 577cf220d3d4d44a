package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Failover. Calico users list every member in etcd_endpoints, and losing
// one member must not stop pods from starting. A member that refuses
// connections is skipped at once; one that accepts them but never answers
// (a stopped or wedged process, a partitioned host) is given an attempt
// timeout, a fraction of the call's deadline, and then:
//   - a read is simply asked of another member (hedged: a read that is slow
//     to answer is also sent to the next member, the first answer wins);
//   - a write, whose outcome is now unknown, is resolved by reading before
//     it is sent anywhere again (see resolve.go), so that nothing is
//     applied twice and a write that did land is not reported as lost.

// read sends a read-only request, moving on freely: after the hedge delay
// without an answer, the next endpoint is asked too; a failed endpoint is
// replaced at once. When every endpoint failed with something another try
// may cure (no leader during an election, no answer) and time remains, it
// goes round again after a short pause, with a doubled attempt timeout.
func (s *Store) read(ctx context.Context, path string, req, resp any) error {
	body, err := marshal(path, req)
	if err != nil {
		return err
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	type result struct {
		data []byte
		err  error
	}
	results := make(chan result)
	n := len(s.endpoints)
	start := int(s.preferred.Load())
	launched, pending := 0, 0
	round := 1
	launch := func() {
		idx := (start + launched) % n
		launched++
		pending++
		timeout := s.escalated(round - 1)
		go func() {
			data, err := s.attempt(ctx, idx, path, body, timeout)
			select {
			case results <- result{data, err}:
			case <-ctx.Done():
			}
		}()
	}
	hedge := time.NewTimer(s.hedgeDelay)
	defer hedge.Stop()
	var pause <-chan time.Time
	var failures []error
	launch()
	for {
		select {
		case r := <-results:
			pending--
			if r.err == nil {
				return decode(path, r.data, resp)
			}
			var ae *attemptError
			if !errors.As(r.err, &ae) {
				return r.err
			}
			failures = append(failures, r.err)
			switch {
			case launched < round*n:
				launch()
				hedge.Reset(s.hedgeDelay)
			case pending == 0 && !allUnsent(failures[len(failures)-n:]):
				pause = time.After(retryPause(round))
			case pending == 0:
				return unavailable(ctx, begin, failures[len(failures)-n:])
			}
		case <-hedge.C:
			if launched < round*n {
				launch()
				hedge.Reset(s.hedgeDelay)
			}
		case <-pause:
			pause = nil
			round++ // with a longer attempt timeout: the members may all be slow
			launch()
			hedge.Reset(s.hedgeDelay)
		case <-ctx.Done():
			return unavailable(ctx, begin, failures[max(0, len(failures)-n):])
		}
	}
}

// escalated is the attempt timeout after k attempts that got no answer in
// time: doubled each time, so that a cluster that is slow everywhere is
// waited for rather than failed over from without end.
func (s *Store) escalated(k int) time.Duration {
	return s.attemptTimeout << min(k, 5)
}

// allUnsent tells whether every failure was a connection that could not
// be made: then the cluster is down, or misconfigured, and going round
// again would only wait for the deadline.
func allUnsent(failures []error) bool {
	for _, f := range failures {
		var ae *attemptError
		if errors.As(f, &ae) && ae.sent {
			return false
		}
	}
	return true
}

// retryPause paces rounds over all endpoints, so that a cluster electing a
// leader is not asked hundreds of times a second.
func retryPause(round int) time.Duration {
	return min(25*time.Millisecond<<min(round, 5), 500*time.Millisecond)
}

// errOutcomeUnknown marks a write that may or may not have been applied.
var errOutcomeUnknown = errors.New("the outcome of the write is unknown")

// send sends a request that must not be repeated blindly: it moves on to
// the next endpoint only while the request provably never left (no
// connection). Once it may have arrived, the error wraps errOutcomeUnknown
// and the caller must find out what happened before sending it again.
func (s *Store) send(ctx context.Context, path string, req, resp any, timeout time.Duration) error {
	body, err := marshal(path, req)
	if err != nil {
		return err
	}
	begin := time.Now()
	n := len(s.endpoints)
	start := int(s.preferred.Load())
	var failures []error
	for i := range n {
		data, err := s.attempt(ctx, (start+i)%n, path, body, timeout)
		if err == nil {
			return decode(path, data, resp)
		}
		var ae *attemptError
		if !errors.As(err, &ae) {
			return err
		}
		failures = append(failures, err)
		if ae.sent {
			return fmt.Errorf("%w (%w)", unavailable(ctx, begin, failures), errOutcomeUnknown)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return unavailable(ctx, begin, failures)
}

func marshal(path string, req any) ([]byte, error) {
	var body []byte
	var err error
	if t, ok := req.(txnRequest); ok {
		body, err = encodeTxn(t)
	} else {
		body, err = json.Marshal(req)
	}
	if err != nil {
		return nil, fmt.Errorf("etcd: encoding %s: %w", path, err)
	}
	return body, nil
}
