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

// checkWhole checks the invariants that a kill must not break.
func checkWhole(t *testing.T, s *Sim, when string) {
	t.Helper()
	ctx := context.Background()
	eps, err := s.ListEndpoints(ctx) // applies a killed operation's journal first
	check(t, "ListEndpoints", err)
	byID := map[string]hns.Endpoint{}
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
}
