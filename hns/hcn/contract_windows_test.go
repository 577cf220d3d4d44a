//go:build windows && hnsintegration

package hcn

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/hnstest"
)

// TestContract runs the hns contract suite against the host's real HNS, the
// same suite hns/sim passes. It changes the host's networking, so run it on
// a disposable Windows host with the Containers feature, as administrator:
//
//	go test -tags hnsintegration -run TestContract -v ./hns/hcn/
//
// Each test gets its own non-persistent network with a /26 from
// 172.29.0.0/16. HNSTEST_NETWORK_TYPE chooses the type: Overlay (default,
// what the plugin uses; VSID 5000+ and remote endpoints) or NAT (no adapter
// binding; the remote-endpoint tests are skipped). HNSTEST_ADAPTER, if set,
// names the adapter for a NetAdapterName policy.
func TestContract(t *testing.T) {
	typ := os.Getenv("HNSTEST_NETWORK_TYPE")
	if typ == "" {
		typ = "Overlay"
	}
	if typ != "Overlay" && typ != "NAT" {
		t.Fatalf("HNSTEST_NETWORK_TYPE=%q, want Overlay or NAT", typ)
	}
	c := New()
	hnstest.Run(t, func(t *testing.T) hnstest.Env {
		return hnstest.Env{
			Client:          c,
			NewNetwork:      func(t *testing.T) *hns.Network { return newTestNetwork(t, c, typ) },
			RemoteEndpoints: typ == "Overlay",
		}
	})
}

var testSubnet atomic.Uint32

func init() { testSubnet.Store(rand.Uint32N(1024)) }

func newTestNetwork(t *testing.T, c hns.Client, typ string) *hns.Network {
	t.Helper()
	i := testSubnet.Add(1) % 1024 // 1024 /26s in 172.29.0.0/16
	base := fmt.Sprintf("172.29.%d.%d", i/4, i%4*64)
	gw := fmt.Sprintf("172.29.%d.%d", i/4, i%4*64+1)
	subnet := hns.Subnet{
		IpAddressPrefix: base + "/26",
		Routes:          []hns.Route{{NextHop: gw, DestinationPrefix: "0.0.0.0/0"}},
	}
	if typ == "Overlay" {
		subnet.Policies = []json.RawMessage{hns.NewSubnetPolicy(hns.VSIDSetting{IsolationId: uint32(5000 + i)})}
	}
	n := &hns.Network{
		Name:          fmt.Sprintf("hnstest-%s-%d", typ, i),
		Type:          typ,
		Ipams:         []hns.Ipam{{Type: "Static", Subnets: []hns.Subnet{subnet}}},
		Flags:         8, // EnableNonPersistent: gone after a reboot
		SchemaVersion: hns.V2,
	}
	if a := os.Getenv("HNSTEST_ADAPTER"); a != "" {
		settings, _ := json.Marshal(map[string]string{"NetworkAdapterName": a})
		n.Policies = []hns.Policy{{Type: "NetAdapterName", Settings: settings}}
	}
	created, err := c.CreateNetwork(context.Background(), n)
	if err != nil {
		t.Fatalf("CreateNetwork(%s %s): %v", typ, subnet.IpAddressPrefix, err)
	}
	t.Cleanup(func() {
		if err := c.DeleteNetwork(context.Background(), created.Id); err != nil && !hns.IsNotFound(err) {
			t.Errorf("cleanup: DeleteNetwork(%s): %v", created.Id, err)
		}
	})
	return created
}
