package sim

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/hnstest"
)

// tempDir is t.TempDir, except that the cleanup removes the tree with
// removeTree: os.RemoveAll fails under Wine, where these tests also run
// (scripts/wine-test.sh ./hns/sim) to exercise the Windows code.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hns-sim-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := removeTree(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// openSim opens a simulator on a fresh directory.
func openSim(t *testing.T, opts ...Option) *Sim {
	t.Helper()
	s, err := Open(tempDir(t), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

var subnetCounter atomic.Uint32

// newOverlay creates an Overlay network with a fresh /26 (as calico-node
// would, without the host endpoint) and deletes it at cleanup.
func newOverlay(t *testing.T, s *Sim) *hns.Network {
	t.Helper()
	i := subnetCounter.Add(1)
	subnet := netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/26", 200+i/256%50, i%256))
	n, err := s.CreateNetwork(context.Background(), OverlayNetwork(OverlaySpec{
		Name:         fmt.Sprintf("Calico-%d", i),
		Subnet:       subnet,
		ManagementIP: netip.MustParseAddr("192.0.2.4"),
	}))
	if err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}
	t.Cleanup(func() {
		if err := s.DeleteNetwork(context.Background(), n.Id); err != nil && !hns.IsNotFound(err) {
			t.Errorf("cleanup: DeleteNetwork: %v", err)
		}
	})
	return n
}

func TestContract(t *testing.T) {
	hnstest.Run(t, func(t *testing.T) hnstest.Env {
		s := openSim(t)
		return hnstest.Env{
			Client:          s,
			NewNetwork:      func(t *testing.T) *hns.Network { return newOverlay(t, s) },
			RemoteEndpoints: true,
		}
	})
}
