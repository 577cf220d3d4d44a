package kdd

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/faultproxy"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
	"github.com/calico-win/cni/ipam"
)

// TestLostReplyIntegration: a write that lands on the API server while its
// reply is lost (a reset, or a reply that never comes before the client's
// timeout) is not undone blindly. Once resolved by the Store (the write is
// issued again, and the object read when that conflicts) the operation
// succeeds; when it cannot be resolved (the repeat is lost too) it fails
// with ErrUnavailable and leaves a state that the runtime's retried DEL
// cleans up. Either way nothing leaks.
func TestLostReplyIntegration(t *testing.T) {
	type op int
	const (
		add op = iota
		del
	)
	for _, tc := range []struct {
		name string
		// before: how many ADDs run before the faulty call (0: the faulty
		// ADD claims the host's first block).
		before int
		op     op
		rule   func() *faultproxy.Rule
	}{
		{"ADD block update lands", 1, add, func() *faultproxy.Rule {
			return faultproxy.Match(http.MethodPut, `/ipamblocks/`, faultproxy.DropReply)
		}},
		{"ADD first block create lands", 0, add, func() *faultproxy.Rule {
			return faultproxy.Match(http.MethodPost, `/ipamblocks$`, faultproxy.HoldReply)
		}},
		{"DEL handle deletion lands", 1, del, func() *faultproxy.Rule {
			// The handle's requests: the release's read, its conditional
			// DELETE (faulted), then the read that resolves it (faulted
			// too when the repeat is lost).
			r := faultproxy.Match("", `/ipamhandles/net\.beforea$`, faultproxy.DropReply)
			r.Nth = 2
			return r
		}},
	} {
		for _, times := range []int{1, 2} {
			name := tc.name + "/resolved"
			if times == 2 {
				name = tc.name + "/repeat lost too"
			}
			t.Run(name, func(t *testing.T) {
				srv := kastest.Shared(t)
				srv.PutNode(t, goldenHost, nil)
				srv.PutIPAMConfig(t, true, true, 0)
				srv.PutIPPool(t, datastore.IPPool{Name: "pool", CIDR: netip.MustParsePrefix("10.244.0.0/16")})
				p, kc := faultproxy.Start(t, srv.CNIKubeconfig(t))
				s, err := New(Config{Config: k8s.Config{Kubeconfig: kc, Timeout: time.Second}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				a := &ipam.Allocator{Store: s, Host: goldenHost}
				assign := func(h string) error {
					_, err := a.Assign(testCtx(t), ipam.Request{HandleID: h}, datastore.Query{})
					return err
				}
				var handles []string
				for i := range tc.before {
					h := "net.before" + string(rune('a'+i))
					if err := assign(h); err != nil {
						t.Fatal(err)
					}
					handles = append(handles, h)
				}
				rule := tc.rule()
				rule.Times = times
				p.Add(rule)
				var callErr error
				held := len(handles)
				switch tc.op {
				case add:
					handles = append(handles, "net.faulty")
					callErr = assign("net.faulty")
					held++
				case del:
					_, callErr = a.Release(testCtx(t), handles[0])
					held--
				}
				if rule.Fired() == 0 {
					t.Fatal("the fault never fired")
				}
				switch {
				case times == 1 && callErr != nil:
					t.Errorf("with the reply lost once: %v, want success (the outcome resolved by reading)", callErr)
				case times > 1 && !errors.Is(callErr, datastore.ErrUnavailable):
					t.Errorf("with the repeat lost too: %v, want ErrUnavailable (code 11)", callErr)
				}
				p.Clear()
				if callErr == nil {
					checkNoLeak(t, srv, held)
				}
				// The runtime's DEL of every sandbox (its retried DEL after
				// a failed ADD or DEL) frees everything.
				if _, err := a.Release(testCtx(t), handles...); err != nil {
					t.Fatalf("DEL: %v", err)
				}
				checkNoLeak(t, srv, 0)
			})
		}
	}
}
