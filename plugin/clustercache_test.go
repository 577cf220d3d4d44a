//go:build !windows

package plugin

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	etcdstore "github.com/calico-win/cni/datastore/etcd"
	"github.com/calico-win/cni/internal/etcdtest"
)

// The cluster cache serves healthy cluster objects for its TTL, never
// caches a problem, and passes other queries through.
func TestClusterCacheIntegration(t *testing.T) {
	srv := etcdtest.Start(t)
	ready := true
	srv.PutClusterInformation(t, &ready)
	srv.PutIPAMConfig(t, true, true, 0)
	srv.PutNode(t, "win-1", map[string]string{"zone": "a"})
	srv.PutIPPool(t, datastore.IPPool{Name: "p1", CIDR: netip.MustParsePrefix("10.1.0.0/16"), BlockSize: 26})
	st, err := etcdstore.New(etcdstore.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, now, read := newClockedCache(t, st)
	if s := read(); len(s.Pools) != 1 || s.Node.Labels["zone"] != "a" {
		t.Fatalf("first read: %+v", s)
	}
	srv.PutIPPool(t, datastore.IPPool{Name: "p2", CIDR: netip.MustParsePrefix("10.2.0.0/16"), BlockSize: 26})
	*now = now.Add(clusterCacheTTL / 2)
	if s := read(); len(s.Pools) != 1 || !*s.ClusterInfo.DatastoreReady || !s.Config.StrictAffinity {
		t.Fatalf("within the TTL the cache answers: %+v", s)
	}
	*now = now.Add(clusterCacheTTL)
	if s := read(); len(s.Pools) != 2 {
		t.Fatalf("after the TTL: %d pools, want 2", len(s.Pools))
	}
	// A problem is never cached: strict affinity off is seen at once, and
	// its fix too.
	srv.PutIPAMConfig(t, false, true, 0)
	*now = now.Add(2 * clusterCacheTTL)
	if s := read(); s.Config.StrictAffinity {
		t.Fatal("stale strict affinity")
	}
	srv.PutIPAMConfig(t, true, true, 0)
	if s := read(); !s.Config.StrictAffinity {
		t.Fatal("the fix was not read at once")
	}
	c.forget()
	srv.PutNode(t, "win-1", map[string]string{"zone": "b"})
	if s := read(); s.Node.Labels["zone"] != "b" {
		t.Fatal("forget did not drop the cache")
	}
}

// newClockedCache is a cached store over st for node win-1 whose clock is
// *now (the test moves it), and a read of what ADD reads through it.
func newClockedCache(t *testing.T, st datastore.Store) (c *cachedStore, now *time.Time, read func() *datastore.Snapshot) {
	t.Helper()
	clock := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	nc := &NetConf{Name: "Calico", IPAMLockFile: filepath.Join(t.TempDir(), "ipam.lock")}
	c = newCachedStore(st, nc, "win-1")
	c.now = func() time.Time { return clock }
	q := datastore.Query{Config: true, Pools: true, ClusterInfo: true, Reservations: true, Node: "win-1"}
	read = func() *datastore.Snapshot {
		t.Helper()
		s, err := c.Read(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return c, &clock, read
}
