package etcd

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/etcdtest"
)

// proposals is etcd's count of committed raft proposals: every write
// transaction is one, with a WAL fsync, even when its compare fails.
func proposals(t *testing.T, srv *etcdtest.Server) int {
	t.Helper()
	resp, err := http.Get(srv.Endpoints()[0] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "etcd_server_proposals_committed_total "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
	}
	t.Fatal("etcd reports no etcd_server_proposals_committed_total")
	return 0
}

// TestEnsureProfileOfAnExistingProfileWritesNothingIntegration: every
// full ADD with no policy type ensures the network's profile, which
// exists after the first; that must cost a read, not a raft proposal and
// its fsync. An absent profile is created, once.
func TestEnsureProfileOfAnExistingProfileWritesNothingIntegration(t *testing.T) {
	s, srv := newTestStore(t)
	p := datastore.DefaultProfile("profile-test-net", true)
	srv.Delete(t, profilePrefix+p.Metadata.Name)

	before, rt := proposals(t, srv), s.RoundTrips()
	if err := s.EnsureProfile(testCtx(t), p); err != nil {
		t.Fatal(err)
	}
	created, ok := srv.Get(t, profilePrefix+p.Metadata.Name)
	if !ok {
		t.Fatal("the absent profile was not created")
	}
	if n := proposals(t, srv) - before; n != 1 {
		t.Errorf("creating the profile: %d proposals, want 1", n)
	}
	if n := s.RoundTrips() - rt; n != 2 {
		t.Errorf("creating the profile: %d round trips, want 2 (the read, the create)", n)
	}

	before, rt = proposals(t, srv), s.RoundTrips()
	for range 3 {
		if err := s.EnsureProfile(testCtx(t), p); err != nil {
			t.Fatal(err)
		}
	}
	if n := proposals(t, srv) - before; n != 0 {
		t.Errorf("ensuring an existing profile 3 times: %d raft proposals, want 0", n)
	}
	if n := s.RoundTrips() - rt; n != 3 {
		t.Errorf("ensuring an existing profile 3 times: %d round trips, want 3", n)
	}
	if got, _ := srv.Get(t, profilePrefix+p.Metadata.Name); got != created {
		t.Errorf("the existing profile changed:\n%s\nwas\n%s", got, created)
	}
}
