package ipam

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
)

func TestSelectPools(t *testing.T) {
	pool := func(name, cidr string, f func(*datastore.IPPool)) datastore.IPPool {
		p := datastore.IPPool{Name: name, CIDR: netip.MustParsePrefix(cidr), BlockSize: 26}.WithDefaults()
		if f != nil {
			f(&p)
		}
		return p
	}
	all := []datastore.IPPool{
		pool("default", "10.244.0.0/16", nil),
		pool("disabled", "10.1.0.0/16", func(p *datastore.IPPool) { p.Disabled = true }),
		pool("linux-only", "10.2.0.0/16", func(p *datastore.IPPool) { p.NodeSelector = "kubernetes.io/os == 'linux'" }),
		pool("tunnel-only", "10.3.0.0/16", func(p *datastore.IPPool) { p.AllowedUses = []string{"Tunnel"} }),
		pool("tiny-blocks", "10.4.0.0/16", func(p *datastore.IPPool) { p.BlockSize = 30 }),
		pool("manual", "10.5.0.0/16", func(p *datastore.IPPool) { p.AssignmentMode = "Manual" }),
		pool("v6", "fd00::/48", func(p *datastore.IPPool) { p.BlockSize = 122 }),
		pool("team-a", "10.6.0.0/16", func(p *datastore.IPPool) { p.NamespaceSelector = "team == 'a'" }),
		pool("lb-only", "10.7.0.0/16", func(p *datastore.IPPool) { p.AllowedUses = []string{"LoadBalancer"} }),
	}
	win := &datastore.Node{Name: "win-1", Labels: map[string]string{"kubernetes.io/os": "windows"}}
	names := func(ps []datastore.IPPool) string {
		var n []string
		for _, p := range ps {
			n = append(n, p.Name)
		}
		return strings.Join(n, ",")
	}
	for _, tc := range []struct {
		name      string
		requested []string
		nsLabels  map[string]string
		want, err string
	}{
		// Disabled, other nodes', tunnel-only, /30 blocks (no room beside
		// the Windows reservations), manual and IPv6 pools are left out.
		// A namespace selector is evaluated against empty labels when the
		// namespace's are unknown, as Calico does.
		{"automatic", nil, nil, "default", ""},
		{"namespace selector applies with labels", nil, map[string]string{"team": "b"}, "default", ""},
		{"namespace selector matches", nil, map[string]string{"team": "a"}, "default,team-a", ""},
		// Requested pools must allow workloads too (Calico's filterPoolsByUse).
		{"tunnel-only requested", []string{"tunnel-only"}, nil, "", "does not allow use by workloads"},
		{"loadbalancer-only requested", []string{"lb-only"}, nil, "", "does not allow use by workloads"},
		{"by name", []string{"manual"}, nil, "manual", ""},
		{"by cidr", []string{"10.2.0.0/16"}, nil, "linux-only", ""},
		{"unknown", []string{"nope"}, nil, "", `"nope" does not exist`},
		{"disabled requested", []string{"disabled"}, nil, "", "is disabled"},
		{"tiny blocks requested", []string{"tiny-blocks"}, nil, "", "/29 or larger"},
		{"v6 requested", []string{"v6"}, nil, "", "not an IPv4 pool"},
	} {
		got, err := selectPools(all, tc.requested, win, tc.nsLabels, false)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || names(got) != tc.want {
			t.Errorf("%s: %s, %v; want %s", tc.name, names(got), err, tc.want)
		}
	}
	if got, err := selectPools(all, nil, win, nil, true); err != nil || names(got) != "default,team-a" {
		t.Errorf("any namespace: %s, %v; want default,team-a", names(got), err)
	}
	if _, err := selectPools(all[1:3], nil, win, nil, false); err == nil || !strings.Contains(err.Error(), "no configured Calico pools for node win-1") {
		t.Errorf("no usable pool: %v", err)
	}
}
