package sim

import (
	"context"
	"net/netip"
	"os"
	"testing"

	"github.com/calico-win/cni/hns"
)

// checkWhole checks the invariants that a kill must not break: every
// index agrees with the objects. It returns the endpoints by ID and the
// number of addresses indexed.
func checkWhole(t *testing.T, s *Sim, when string) (byID map[string]hns.Endpoint, indexed int) {
	t.Helper()
	ctx := context.Background()
	eps, err := s.ListEndpoints(ctx) // applies a killed operation's journal first
	check(t, "ListEndpoints", err)
	byID = map[string]hns.Endpoint{}
	holder := map[string]string{}
	for _, e := range eps {
		byID[e.Id] = e
		for _, c := range e.IpConfigurations {
			if other, dup := holder[e.HostComputeNetwork+c.IpAddress]; dup {
				t.Errorf("%s: address %s held by %s and %s", when, c.IpAddress, other, e.Id)
			}
			holder[e.HostComputeNetwork+c.IpAddress] = e.Id
			h, err := s.st.ipHolder(e.HostComputeNetwork, netip.MustParseAddr(c.IpAddress))
			if err != nil || h != e.Id {
				t.Errorf("%s: address %s of %s is indexed to %q (%v)", when, c.IpAddress, e.Id, h, err)
			}
		}
		if _, err := os.Stat(s.st.path(membersDir, e.HostComputeNetwork, e.Id)); err != nil {
			t.Errorf("%s: endpoint %s is not a member of its network: %v", when, e.Id, err)
		}
		if e.Flags&hns.EndpointFlagRemote == 0 && e.Name != "" {
			found := false
			ids, err := s.st.idsByName(endpointNames, e.Name)
			for _, id := range ids {
				found = found || id == e.Id
			}
			if err != nil || !found {
				t.Errorf("%s: endpoint %s (%s) cannot be found by its name: index %v (%v)", when, e.Id, e.Name, ids, err)
			}
		}
	}
	nets, err := s.ListNetworks(ctx)
	check(t, "ListNetworks", err)
	for _, n := range nets {
		names, err := listNames(s.st.path(ipsDir, n.Id))
		check(t, "list ips", err)
		for _, name := range names {
			b, err := os.ReadFile(s.st.path(ipsDir, n.Id, name))
			if _, ok := byID[string(b)]; err != nil || !ok {
				t.Errorf("%s: address index %s points at missing endpoint %q", when, name, b)
			}
			indexed++
		}
		members, err := listNames(s.st.path(membersDir, n.Id))
		check(t, "list members", err)
		for _, m := range members {
			if _, ok := byID[m]; !ok {
				t.Errorf("%s: network %s lists missing endpoint %s", when, n.Name, m)
			}
		}
	}
	for _, kind := range []string{endpointNames} {
		files, _ := listNames(s.st.path(namesDir, kind))
		for _, f := range files {
			var e nameEntry
			if err := readJSON(s.st.path(namesDir, kind, f), &e); err != nil {
				t.Errorf("%s: name index %s: %v", when, f, err)
			}
			for _, id := range e.IDs {
				if _, ok := byID[id]; !ok {
					t.Errorf("%s: name %q indexes missing endpoint %s", when, e.Name, id)
				}
			}
		}
	}
	nss, err := s.ListNamespaces(ctx)
	check(t, "ListNamespaces", err)
	for _, ns := range nss {
		for _, r := range ns.Resources {
			id, _ := endpointResource(r)
			if e, ok := byID[id]; !ok || e.HostComputeNamespace != ns.Id {
				t.Errorf("%s: namespace %s lists endpoint %s, which is in %q", when, ns.Id, id, e.HostComputeNamespace)
			}
		}
	}
	return byID, indexed
}
