package kdd

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/faultproxy"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
)

// TestCommitDeadlineIntegration: a Commit ends by its caller's deadline
// even when the API server stops answering part way, including while the
// Commit undoes what it wrote (an ADD once took 14.9 s of its 10 s so).
func TestCommitDeadlineIntegration(t *testing.T) {
	const deadline = 4500 * time.Millisecond
	const slack = 400 * time.Millisecond
	for _, tc := range []struct {
		name  string
		stale bool // the block update loses its compare-and-swap
		rules func() []*faultproxy.Rule
		want  error
	}{
		{"a write hangs", false, func() []*faultproxy.Rule {
			return []*faultproxy.Rule{{Method: http.MethodPut, Path: regexpOf(`/ipamblocks/`), Fault: faultproxy.Swallow}}
		}, datastore.ErrUnavailable},
		{"the undo hangs", true, func() []*faultproxy.Rule {
			return []*faultproxy.Rule{{Method: http.MethodDelete, Path: regexpOf(`/ipamhandles/`), Fault: faultproxy.Swallow}}
		}, datastore.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := kastest.Shared(t)
			plain := storeFor(t, srv.CNIKubeconfig(t))
			commit(t, plain, claim(goldenHost, windowsBlock(), goldenHandle))
			snap, err := plain.Read(testCtx(t), datastore.Query{Blocks: []netip.Prefix{goldenBlock}})
			if err != nil {
				t.Fatal(err)
			}
			b := snap.Blocks[goldenBlock]
			rev := b.Rev
			if tc.stale {
				bumped := b.Value
				bumped.SequenceNumber++
				commit(t, plain, datastore.Change{Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: bumped, Rev: rev}}})
			}
			p, kc := faultproxy.Start(t, srv.CNIKubeconfig(t))
			s, err := New(Config{Config: k8s.Config{Kubeconfig: kc, Timeout: 10 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			rules := tc.rules()
			p.Add(rules...)
			blk := b.Value
			blk.Allocations[4], blk.Unallocated = ptr(1), blk.Unallocated[1:]
			c := datastore.Change{
				Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create,
					Value: datastore.Handle{HandleID: "net.second", Block: map[string]int{goldenBlock.String(): 1}}}},
				Blocks: []datastore.Write[datastore.Block]{{Op: datastore.Update, Value: blk, Rev: rev}},
			}
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			t0 := time.Now()
			err = s.Commit(ctx, c)
			took := time.Since(t0)
			if !errors.Is(err, tc.want) {
				t.Errorf("Commit: %v, want %v", err, tc.want)
			}
			if took > deadline+slack {
				t.Errorf("Commit took %v, past its %v deadline", took, deadline)
			}
			for _, r := range rules {
				if r.Fired() == 0 {
					t.Error("the fault never fired")
				}
			}
		})
	}
}

func regexpOf(re string) *regexp.Regexp { return regexp.MustCompile(re) }
