package etcd

import (
	"fmt"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/etcdtest"
)

// On a real 3-member cluster, with one member stopped by SIGSTOP (it still
// accepts connections and never answers), killed, or restarted, reads and
// commits of a fresh Store (a new plugin process) succeed within a few
// seconds of a 10 s deadline, the stopped member listed first, and every
// commit is applied once.
func TestClusterMemberOutageIntegration(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	const within = 5 * time.Second
	n := 0
	exercise := func(t *testing.T, down int, what string) {
		t.Helper()
		eps := c.Endpoints()
		order := []string{eps[down]}
		for i, e := range eps {
			if i != down {
				order = append(order, e)
			}
		}
		for _, firstRead := range []bool{true, false} {
			s, err := New(Config{Endpoints: order, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if firstRead {
				if _, err := s.Read(testCtx(t), datastore.Query{Config: true, Pools: true}); err != nil {
					t.Fatalf("%s: Read: %v", what, err)
				}
			}
			n++
			id := fmt.Sprintf("h%d", n)
			h := datastore.Handle{HandleID: id, Block: map[string]int{"10.244.166.128/26": 1}}
			if err := s.Commit(testCtx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{{Op: datastore.Create, Value: h}}}); err != nil {
				t.Fatalf("%s: Commit: %v", what, err)
			}
			took := time.Since(start)
			t.Logf("%s: read first %v: %v (%d round trips, %d resolutions)", what, firstRead, took, s.RoundTrips(), s.Resolutions())
			if took > within {
				t.Errorf("%s: took %v, want under %v", what, took, within)
			}
			healthy := c.Member((down + 1) % 3)
			if kvs := healthy.List(t, handleKey(id)); len(kvs) != 1 {
				t.Errorf("%s: handle %s not stored once: %v", what, id, kvs)
			}
		}
	}
	for _, role := range []string{"follower", "leader"} {
		t.Run("SIGSTOP "+role, func(t *testing.T) {
			leader := c.Leader(t)
			down := leader
			if role == "follower" {
				down = (leader + 1) % 3
			}
			c.Pause(t, down)
			exercise(t, down, "member "+fmt.Sprint(down)+" ("+role+") stopped")
			c.Resume(t, down)
			c.Leader(t)
		})
		t.Run("kill and restart "+role, func(t *testing.T) {
			leader := c.Leader(t)
			down := leader
			if role == "follower" {
				down = (leader + 1) % 3
			}
			c.Kill(t, down)
			exercise(t, down, "member "+fmt.Sprint(down)+" ("+role+") killed")
			c.Restart(t, down)
			exercise(t, down, "member "+fmt.Sprint(down)+" ("+role+") restarted")
		})
	}
}
