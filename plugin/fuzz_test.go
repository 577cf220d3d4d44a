package plugin

// Fuzz targets for what the plugin reads from outside: the network config
// on stdin, CNI_ARGS, and its node-local state files (block hint, cluster
// cache), which anything on the node may have left torn or corrupt. The
// property: no panic on any input, and a bad input is an error with the
// right CNI code (or, for the caches, a miss). `go test` runs the seed
// corpora in testdata/fuzz; `make fuzz` fuzzes each target.

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/datastore"
)

func FuzzParseNetConf(f *testing.F) {
	for _, p := range []string{"../testdata/calico-etcd.conf", "../testdata/dockershim-era.conf", "../testdata/installer-vxlan-kdd.conf"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nc, err := ParseNetConf(b)
		if err != nil {
			te := toCNIError(err)
			if te.Code != types.ErrDecodingFailure && te.Code != types.ErrInvalidNetworkConfig {
				t.Fatalf("bad config: code %d (%v), want 6 or 7", te.Code, err)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Key == "" || !strings.Contains(te.Msg, ce.Key) {
				t.Fatalf("bad config: %q names no key", te.Msg)
			}
			return
		}
		// What every command derives from a valid config must not panic.
		// The VNI is checked in VXLAN mode only (L2Bridge ignores it, as Calico does).
		if nc.Name == "" || nc.Mode == ModeVXLAN && (nc.VXLANVNI < 4096 || nc.VXLANVNI >= 1<<24) {
			t.Fatalf("accepted config: name %q, VNI %d", nc.Name, nc.VXLANVNI)
		}
		_ = newDataplane(nc, nil)
		_ = endpointDNS(nc)
		_ = nc.EndpointPolicies()
		_ = datastoreOf(nc)
		_ = stateFile(nc, "x")
	})
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"",
		"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc",
		"K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-0;K8S_POD_UID=0b0f6f3e-1c5b-4b7e-9f43-1d2a3b4c5d6e",
		"IP=10.244.5.9;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0",
		"IgnoreUnknown=0;Foo=bar",
		"K8S_POD_NAME",
		"IP=fe80::1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseArgs(s)
		if err != nil {
			if te := toCNIError(err); te.Code != types.ErrInvalidEnvironmentVariables || !strings.Contains(te.Msg, "CNI_ARGS") {
				t.Fatalf("bad CNI_ARGS: code %d %q, want 4 naming CNI_ARGS", te.Code, te.Msg)
			}
			return
		}
		if ip := string(a.IP); ip != "" {
			if addr, err := parseIPArg(ip); err == nil && !addr.Is4() {
				t.Fatalf("IP=%q accepted as %s", ip, addr)
			} else if err != nil && toCNIError(err).Code != types.ErrInvalidEnvironmentVariables {
				t.Fatalf("IP=%q: %v, want code 4", ip, err)
			}
		}
		_ = hostIfName(a.k8s(), string(a.K8S_POD_NAMESPACE), string(a.K8S_POD_NAME), "cid")
	})
}

// FuzzBlockHint: whatever the hint file holds, Load gives no block or one
// that Store could have written (an IPv4 block CIDR); a corrupt hint costs
// a read, never a query for a key no block has.
func FuzzBlockHint(f *testing.F) {
	for _, s := range []string{"10.244.5.0/26", "10.244.5.0/26\n", "", "10.244.5.3/26", "::/0", "10.0.0.0/0", "garbage",
		`{"cidr":"10.244.5.0/26","block":{"Value":{"cidr":"10.244.5.0/26","affinity":"host:n","allocations":[null],"unallocated":[0],"attributes":[],"sequenceNumber":1,"sequenceNumberForAllocation":null,"deleted":false},"Rev":"7"}}`,
		`{"cidr":"10.244.5.0/26","block":{"Value":{"cidr":"10.9.0.0/26"},"Rev":"7"}}`, `{"cidr":"10.244.5.3/26"}`, `{"cidr":`} {
		f.Add([]byte(s))
		f.Add(checked([]byte(s)))
	}
	dir := fuzzTempDir(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h := fileHint{path: filepath.Join(dir, "hint")}
		if err := os.WriteFile(h.path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		got := h.Load()
		if p := got.CIDR; p.IsValid() && (!p.Addr().Is4() || p != p.Masked()) {
			t.Fatalf("hint %q loaded as %s, which no block is", b, p)
		}
		if got.Block.Rev != "" && got.Block.Value.CIDR != got.CIDR {
			t.Fatalf("hint %q loaded with a copy of block %s for %s", b, got.Block.Value.CIDR, got.CIDR)
		}
	})
}

// FuzzClusterCache: whatever the cache file holds, load gives a miss or an
// entry of this node, within its TTL, that Read could have stored (a
// healthy answer: strict affinity, pools with valid CIDRs, ready).
func FuzzClusterCache(f *testing.F) {
	now := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	good := clusterEntry{At: now.Add(-time.Second), Node: "win-1", Config: datastore.IPAMConfig{StrictAffinity: true, AutoAllocateBlocks: true},
		Pools:        []datastore.IPPool{{Name: "pool1", CIDR: netip.MustParsePrefix("10.244.0.0/16"), BlockSize: 26, NATOutgoing: true}},
		Reservations: []netip.Prefix{netip.MustParsePrefix("10.244.0.5/32")}, NodeLabels: map[string]string{"kubernetes.io/os": "windows"}, ClusterInfo: true}
	c := &cachedStore{node: "win-1", now: func() time.Time { return now }, path: filepath.Join(fuzzTempDir(f), "cache.json")}
	c.store(good)
	b, err := os.ReadFile(c.path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"At":"2026-11-30T02:59:59Z","Node":"win-1","Config":{"strict_affinity":true},"Pools":[{"CIDR":"10.244.0.0/16","BlockSize":40}],"ClusterInfo":true}`))
	f.Add([]byte(`{"At":"2026-11-30T02:59:59Z","Node":"win-1","Config":{"strict_affinity":true},"Pools":[],"ClusterInfo":true}`))
	f.Add([]byte(`{"At":"2026-11-30T02:59:59Z","Node":"win-1","Pools":[{"CIDR":""}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(c.path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		e := c.load()
		if e == nil {
			return
		}
		if e.Node != c.node || now.Sub(e.At) > clusterCacheTTL || now.Before(e.At) {
			t.Fatalf("loaded an entry of node %q at %s", e.Node, e.At)
		}
		if !e.Config.StrictAffinity || !e.ClusterInfo || len(e.Pools) == 0 {
			t.Fatalf("loaded an entry Read never stores: %+v", e)
		}
		for _, p := range e.Pools {
			// What decoding a pool from either datastore guarantees.
			if !p.CIDR.IsValid() || p.CIDR != p.CIDR.Masked() {
				t.Fatalf("loaded pool %+v, which no datastore holds", p)
			}
		}
	})
}

// fuzzTempDir is f.TempDir without its RemoveAll error, which Wine gives
// (these targets run with their seeds under Wine too).
func fuzzTempDir(f *testing.F) string {
	dir, err := os.MkdirTemp("", "calico-win-fuzz-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
