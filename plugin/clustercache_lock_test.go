//go:build !windows

package plugin

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/kdd"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
)

// The migration lock reaches an ADD through the cluster cache within
// clusterInfoTTL (issue 10 item 7), on the Kubernetes datastore where the
// cache is used; within clusterInfoTTL of the last ready read the cache
// answers alone.
func TestClusterCacheSeesLockIntegration(t *testing.T) {
	srv := kastest.Start(t)
	yes := true
	srv.PutClusterInformation(t, &yes)
	srv.PutIPAMConfig(t, true, true, 0)
	srv.PutNode(t, "win-1", nil)
	srv.PutIPPool(t, datastore.IPPool{Name: "p1", CIDR: netip.MustParsePrefix("10.1.0.0/16"), BlockSize: 26})
	cl, err := k8s.New(k8s.Config{Kubeconfig: srv.AdminKubeconfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, now, read := newClockedCache(t, kdd.NewWithClient(cl))
	if s := read(); ready(s) != nil {
		t.Fatalf("first read not ready: %+v", s.ClusterInfo)
	}
	before := cl.Requests()
	*now = now.Add(clusterInfoTTL / 2)
	if s := read(); ready(s) != nil || cl.Requests() != before {
		t.Fatalf("within clusterInfoTTL: ready=%v, %d requests, want the cache alone", ready(s), cl.Requests()-before)
	}
	locked := false
	srv.PutClusterInformation(t, &locked)
	*now = now.Add(clusterInfoTTL)
	if s := read(); ready(s) == nil {
		t.Fatalf("%s after the last ready read, the lock is not seen", clusterInfoTTL*3/2)
	}
	// The lock dropped the cache: the next read asks the datastore for everything.
	srv.PutClusterInformation(t, &yes)
	if s := read(); ready(s) != nil {
		t.Fatalf("after the unlock: %+v", s.ClusterInfo)
	}
}
