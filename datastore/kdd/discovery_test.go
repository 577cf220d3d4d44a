package kdd

import (
	"net/netip"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
)

func TestDiscoveredGroup(t *testing.T) {
	for _, tc := range []struct {
		served []string
		want   *APIGroup
	}{
		{[]string{"apps", "crd.projectcalico.org"}, GroupV1},
		{[]string{"apps", "projectcalico.org"}, GroupV3},
		{[]string{"projectcalico.org", "crd.projectcalico.org"}, GroupV1}, // the aggregated API server over v1
		{[]string{"apps"}, GroupV1},                                       // nothing installed: Calico's default
	} {
		if got := discoveredGroup(tc.served); got != tc.want {
			t.Errorf("discoveredGroup(%v) = %v, want %v", tc.served, got, tc.want)
		}
	}
}

func TestParseAPIGroup(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *APIGroup
		ok   bool
	}{
		{"", nil, true},
		{"crd.projectcalico.org/v1", GroupV1, true},
		{"crd.projectcalico.org", GroupV1, true},
		{"projectcalico.org/v3", GroupV3, true},
		{"ProjectCalico.org/V3", GroupV3, true}, // Calico compares with strings.EqualFold
		{"projectcalico.org", nil, false},
		{"crd.projectcalico.org/v3", nil, false},
	} {
		got, err := ParseAPIGroup(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseAPIGroup(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestDiscoveryIntegration: with calico_api_group unset, the group is the
// one Calico picks on a v1-only, a v3-only and a both-installed cluster,
// and costs one request, only when no earlier discovery is known. A known
// group that is no longer served is discovered again and the read retried.
func TestDiscoveryIntegration(t *testing.T) {
	for _, tc := range []struct {
		crds kastest.CRDSet
		want *APIGroup
	}{
		{kastest.CRDsV1, GroupV1},
		{kastest.CRDsV3, GroupV3},
		{kastest.CRDsBoth, GroupV1},
	} {
		t.Run(tc.crds.String(), func(t *testing.T) {
			srv := kastest.SharedWith(t, tc.crds)
			srv.PutIPAMConfig(t, true, false, 1)
			c := cniK8sClient(t, srv)
			read := func(s *Store) *datastore.Snapshot {
				t.Helper()
				snap, err := s.Read(testCtx(t), datastore.Query{Config: true})
				if err != nil {
					t.Fatal(err)
				}
				if snap.Config == nil || !snap.Config.StrictAffinity || snap.Config.MaxBlocksPerHost != 1 {
					t.Errorf("IPAM config read in %v: %+v", s.APIGroup(), snap.Config)
				}
				return snap
			}
			s := NewDiscovering(c, nil)
			if s.APIGroup() != nil {
				t.Fatalf("APIGroup before any request = %v", s.APIGroup())
			}
			before := c.Requests()
			read(s)
			if s.APIGroup() != tc.want || s.Discovered() != tc.want || c.Requests()-before != 2 {
				t.Errorf("discovered %v with %d requests, want %v with 2 (discovery, read)", s.Discovered(), c.Requests()-before, tc.want)
			}
			// An earlier process's answer costs nothing.
			s = NewDiscovering(c, tc.want)
			before = c.Requests()
			read(s)
			if c.Requests()-before != 1 || s.Discovered() != nil {
				t.Errorf("read with a known group: %d requests, discovered %v; want 1 request, no discovery", c.Requests()-before, s.Discovered())
			}
			// A known group the cluster no longer serves.
			other := GroupV3
			if tc.want == GroupV3 {
				other = GroupV1
			}
			if tc.crds == kastest.CRDsBoth {
				return // both served: no request fails
			}
			s = NewDiscovering(c, other)
			before = c.Requests()
			read(s)
			if s.APIGroup() != tc.want || s.Discovered() != tc.want || c.Requests()-before != 3 {
				t.Errorf("after %v stopped being served: %v with %d requests, want %v with 3 (failed read, discovery, read)",
					other, s.APIGroup(), c.Requests()-before, tc.want)
			}
			// A configured group is never second-guessed.
			_, err := NewInGroup(c, other).Read(testCtx(t), datastore.Query{Blocks: []netip.Prefix{goldenBlock}})
			if !k8s.IsNotServed(err) {
				t.Errorf("read in a configured group that is not served: %v, want a not-served error", err)
			}
		})
	}
}

func cniK8sClient(t testing.TB, srv *kastest.Server) *k8s.Client {
	t.Helper()
	c, err := k8s.New(k8s.Config{Kubeconfig: srv.CNIKubeconfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
