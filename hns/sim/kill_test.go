//go:build !windows

package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
)

// churnEnv makes the test binary a churning worker of TestKillNineLeavesStateWhole:
// "<dir>,<networkID>,<seed>".
const churnEnv = "HNS_SIM_TEST_CHURN"

// The worker starts before TestMain, which belongs to process_test.go.
func init() {
	if spec := os.Getenv(churnEnv); spec != "" {
		fmt.Fprintln(os.Stderr, "churn:", runChurn(spec))
		os.Exit(1)
	}
}

// runChurn creates, attaches and deletes endpoints without end, most with
// addresses from a small contested set, until it is killed.
func runChurn(spec string) error {
	parts := strings.Split(spec, ",")
	if len(parts) != 3 {
		return fmt.Errorf("bad %s=%q", churnEnv, spec)
	}
	seed, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return err
	}
	s, err := Open(parts[0])
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 9))
	ctx := context.Background()
	for i := 0; ; i++ {
		e := &hns.Endpoint{Name: fmt.Sprintf("c%d_Calico", rng.IntN(6)), HostComputeNetwork: parts[1]}
		if rng.IntN(4) > 0 {
			e.IpConfigurations = []hns.IpConfig{{IpAddress: fmt.Sprintf("10.244.9.%d", 10+rng.IntN(6))}}
		}
		ep, err := s.CreateEndpoint(ctx, e)
		if err != nil && hns.Code(err) == 0 {
			return err
		}
		if err == nil && rng.IntN(2) == 0 {
			ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
			if err != nil {
				return err
			}
			// The other worker may have deleted it meanwhile.
			if err := s.AttachEndpoint(ctx, ns.Id, ep.Id); err != nil && hns.Code(err) == 0 {
				return err
			}
		}
		if old, err := s.GetEndpointByName(ctx, fmt.Sprintf("c%d_Calico", rng.IntN(6))); err == nil {
			if err := s.DeleteEndpoint(ctx, old.Id); err != nil && hns.Code(err) == 0 {
				return err
			}
		}
	}
}

// kill -9 at random points of CreateEndpoint, AttachEndpoint and
// DeleteEndpoint, two processes at a time contending for the same
// addresses: after each kill the state is whole, as HNS's would be:
// every endpoint found by its name and holding its addresses in the
// index, every index entry naming a live endpoint, no address held twice.
func TestKillNineLeavesStateWhole(t *testing.T) {
	kills := 60
	if testing.Short() {
		kills = 15
	}
	s := openSim(t)
	ctx := context.Background()
	n, err := s.SetupOverlay(ctx, OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.9.0/24")}, 0)
	check(t, "SetupOverlay", err)
	rng := rand.New(rand.NewPCG(7, 7)) // fixed: a failure is reproducible
	for k := 0; k < kills; k += 2 {
		var procs []*exec.Cmd
		for w := range 2 {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s,%d", churnEnv, s.Dir(), n.Id, k*2+w))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			check(t, "starting a worker", cmd.Start())
			procs = append(procs, cmd)
		}
		// Let them get going (a process takes a few milliseconds to
		// start), then kill each at its own random moment.
		for _, p := range procs {
			<-time.After(time.Duration(5+rng.IntN(40)) * time.Millisecond)
			_ = p.Process.Kill()
		}
		for i, p := range procs {
			err := p.Wait()
			if ws, ok := p.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
				t.Fatalf("kill %d: worker %d ended by itself (%v): %s", k, i, err, p.Stderr)
			}
		}
		checkWhole(t, s, fmt.Sprintf("after kill %d", k))
		if t.Failed() {
			return
		}
	}
	eps, err := s.ListEndpoints(ctx)
	check(t, "ListEndpoints", err)
	t.Logf("%d kills, %d endpoints left", kills, len(eps))
}
