// Package hnstest is the contract every hns.Client must honour: the
// behaviour of HNS that the plugin relies on, written once and run against
// the simulator (hns/sim) on Linux and against real HNS (hns/hcn) on a
// Windows host.
//
// The suite only uses hns.Client, leaves the host as it found it (every
// object it creates is deleted at cleanup, names are random), and asserts
// codes and classifications rather than message texts, except for texts that
// hcn produces client-side. It must not import hns/sim, hns/hcn, the plugin,
// ipam or datastore packages. Simulator-only behaviour (fault injection,
// delays, configuration) is tested in hns/sim.
package hnstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/internal/testctx"
)

// Env is one HNS under test.
type Env struct {
	Client hns.Client
	// NewNetwork creates a network for one test and deletes it at cleanup.
	// The network must have an IPv4 subnet of /27 or larger with a default
	// route (0.0.0.0/0) via its gateway, and no endpoints.
	NewNetwork func(t *testing.T) *hns.Network
	// RemoteEndpoints says the networks accept remote endpoints (Flags 1,
	// as on Overlay networks); the remote-endpoint tests are skipped, with
	// a message, when false.
	RemoteEndpoints bool
}

// Run runs the contract suite. newEnv is called once per test; it may hand
// out the same Client each time.
func Run(t *testing.T, newEnv func(t *testing.T) Env) {
	groups := []struct {
		name  string
		tests []contractTest
	}{
		{"Version", versionTests},
		{"Network", networkTests},
		{"Endpoint", endpointTests},
		{"Address", addressTests},
		{"Policy", policyTests},
		{"Namespace", namespaceTests},
		{"Host", hostTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, newEnv(t)) })
			}
		})
	}
}

type contractTest struct {
	name string
	run  func(t *testing.T, env Env)
}

var versionTests = []contractTest{
	{"SupportsV2Api", func(t *testing.T, env Env) {
		v, err := env.Client.Version(ctx(t))
		if err != nil {
			t.Fatalf("Version: %v", err)
		}
		if !hns.FeaturesFor(v).V2Api {
			t.Errorf("Version = %v, which lacks the v2 API (9.2+)", v)
		}
	}},
}

// ctx returns a context that ends with the test, with a deadline so that a
// hung HNS fails the test instead of blocking it.
func ctx(t *testing.T) context.Context { return testctx.New(t, 2*time.Minute) }

// uniqueName returns a name no other test run uses.
func uniqueName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// randomGUID returns a GUID that names no object.
func randomGUID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var guidRE = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

func requireGUID(t *testing.T, what, id string) {
	t.Helper()
	if !guidRE.MatchString(id) {
		t.Errorf("%s = %q, want an upper-case GUID", what, id)
	}
}

// layout describes a test network's IPv4 subnet.
type layout struct {
	prefix  netip.Prefix
	gateway netip.Addr
}

func subnetLayout(t *testing.T, n *hns.Network) layout {
	t.Helper()
	for _, ipam := range n.Ipams {
		for _, sn := range ipam.Subnets {
			p, err := netip.ParsePrefix(sn.IpAddressPrefix)
			if err != nil || !p.Addr().Is4() {
				continue
			}
			for _, r := range sn.Routes {
				if r.DestinationPrefix != "0.0.0.0/0" {
					continue
				}
				gw, err := netip.ParseAddr(r.NextHop)
				if err != nil {
					t.Fatalf("network %s: gateway %q: %v", n.Name, r.NextHop, err)
				}
				if p.Bits() > 27 {
					t.Fatalf("network %s: subnet %s is smaller than /27", n.Name, p)
				}
				return layout{prefix: p.Masked(), gateway: gw}
			}
		}
	}
	t.Fatalf("network %s has no IPv4 subnet with a default route: %+v", n.Name, n.Ipams)
	return layout{}
}

// host returns the i-th address of the subnet (i from 4 on, well clear of
// the network, gateway and host-endpoint addresses).
func (l layout) host(t *testing.T, i int) string {
	t.Helper()
	a := l.prefix.Addr()
	for range i {
		a = a.Next()
	}
	if !l.prefix.Contains(a) || a == l.gateway {
		t.Fatalf("address #%d of %s is unusable", i, l.prefix)
	}
	return a.String()
}

// outside returns an address outside the subnet.
func (l layout) outside() string {
	a := l.prefix.Addr()
	for l.prefix.Contains(a) {
		a = a.Next()
	}
	return a.Next().String()
}

// unattached reports an endpoint's namespace as HNS may show "none": empty
// or the zero GUID (antrea#2301).
func unattached(ns string) bool {
	return ns == "" || ns == "00000000-0000-0000-0000-000000000000"
}

func sameID(a, b string) bool { return strings.EqualFold(a, b) }
