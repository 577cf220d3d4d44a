//go:build windows && hcnservice

package hcn

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/hcnservice"
	"github.com/calico-win/cni/hns/hnstest"
	"github.com/calico-win/cni/hns/sim"
)

// These tests run the adapter through hcsshim's real hcn code and the HCN
// service shim (hns/hcnservice/shim) that `WINE_HCN=service
// scripts/wine-test.sh ./hns/hcn` installs, against the simulator behind
// `hnsctl serve`: the contract suite the simulator passes on its own must
// pass through the DLL boundary too, proving the adapter and the simulator
// agree. Built with -tags hcnservice, they fail rather than skip when the
// shim or the service is missing.

func newServiceClient(t *testing.T) hns.Client {
	t.Helper()
	if os.Getenv(hcnservice.EnvAddr) == "" {
		t.Fatalf("$%s is not set: run WINE_HCN=service scripts/wine-test.sh ./hns/hcn", hcnservice.EnvAddr)
	}
	if err := hcnAvailable(); err != nil {
		t.Fatalf("computenetwork.dll is not installed: %v", err)
	}
	if err := computeNetwork.NewProc("FakeHcnMarker").Find(); err == nil {
		t.Fatal("computenetwork.dll is scripts/wine's fake, not the HCN service shim")
	}
	return New()
}

var serviceSubnet atomic.Uint32

// newServiceNetwork creates, through the adapter, an Overlay network as
// calico-node does (fresh /26, management IP) and deletes it at cleanup.
func newServiceNetwork(t *testing.T, c hns.Client) *hns.Network {
	t.Helper()
	i := serviceSubnet.Add(1)
	n, err := c.CreateNetwork(context.Background(), sim.OverlayNetwork(sim.OverlaySpec{
		Name:         fmt.Sprintf("Calico-svc-%d-%d", os.Getpid(), i),
		Subnet:       netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/26", 200+i/256%50, i%256)),
		ManagementIP: netip.MustParseAddr("192.0.2.4"),
	}))
	if err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}
	t.Cleanup(func() {
		if err := c.DeleteNetwork(context.Background(), n.Id); err != nil && !hns.IsNotFound(err) {
			t.Errorf("cleanup: DeleteNetwork: %v", err)
		}
	})
	return n
}

func TestServiceContractIntegration(t *testing.T) {
	c := newServiceClient(t)
	hnstest.Run(t, func(t *testing.T) hnstest.Env {
		return hnstest.Env{
			Client:          c,
			NewNetwork:      func(t *testing.T) *hns.Network { return newServiceNetwork(t, c) },
			RemoteEndpoints: true,
		}
	})
}

// HNS's errors cross the DLL boundary with their codes and texts, and come
// out of the adapter classified as the simulator classifies them.
func TestServiceErrorsIntegration(t *testing.T) {
	c := newServiceClient(t)
	ctx := context.Background()
	n := newServiceNetwork(t, c)
	const missing = "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"
	for _, tc := range []struct {
		name string
		call func() error
		code uint32
		op   string
	}{
		{"DeleteEndpoint missing", func() error { return c.DeleteEndpoint(ctx, missing) }, hns.EndpointNotFound, "hcnDeleteEndpoint"},
		{"DeleteNetwork missing", func() error { return c.DeleteNetwork(ctx, missing) }, hns.NetworkNotFound, "hcnDeleteNetwork"},
		{"DeleteNamespace missing", func() error { return c.DeleteNamespace(ctx, missing) }, hns.ErrorNotFound, "hcnDeleteNamespace"},
		{"AttachEndpoint to a missing namespace", func() error { return c.AttachEndpoint(ctx, missing, missing) }, hns.ErrorNotFound, "hcnOpenNamespace"},
		{"CreateNetwork duplicate name", func() error {
			_, err := c.CreateNetwork(ctx, sim.OverlayNetwork(sim.OverlaySpec{Name: n.Name, Subnet: netip.MustParsePrefix("10.99.0.0/26")}))
			return err
		}, hns.NetworkAlreadyExists, "hcnCreateNetwork"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if hns.Code(err) != tc.code {
				t.Fatalf("error = %v, want code 0x%x", err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.op) || !strings.Contains(err.Error(), hns.CodeText(tc.code)) {
				t.Errorf("error %q does not name %s and HNS's text %q", err, tc.op, hns.CodeText(tc.code))
			}
		})
	}
	if _, err := c.GetEndpointByName(ctx, "no-such-endpoint"); !hns.IsNotFound(err) {
		t.Errorf("GetEndpointByName(missing) = %v, want not found", err)
	}
}

// With the service unreachable the shim answers as HNS does when its
// service is not running, and the adapter classifies it as "try again".
func TestServiceUnreachableIntegration(t *testing.T) {
	c := newServiceClient(t)
	t.Setenv(hcnservice.EnvAddr, "127.0.0.1:1") // nothing listens on port 1
	_, err := c.GetNetworkByName(context.Background(), "Calico")
	if hns.Code(err) != hns.ServiceNotStarted || !hns.IsServiceUnavailable(err) {
		t.Fatalf("GetNetworkByName without the service = %v (code 0x%x), want 0x%x, service unavailable",
			err, hns.Code(err), hns.ServiceNotStarted)
	}
}
