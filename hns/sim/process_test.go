package sim

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/calico-win/cni/hns"
)

// workerEnv makes the test binary act as one worker process of
// TestConcurrentProcesses instead of running tests (the helper-process
// pattern): its value is "<dir>,<networkID>,<worker>,<endpoints>".
const workerEnv = "HNS_SIM_TEST_WORKER"

// contestedIP is requested by every worker; exactly one may get it.
const contestedIP = "10.244.3.250"

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		if err := runWorker(spec); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if popDir != "" {
		removeTree(popDir)
	}
	os.Exit(code)
}

// workerResult is what a worker prints on stdout.
type workerResult struct {
	Created   []string // endpoint IDs
	Contested string   // "won", or the error code
}

// runWorker is one plugin-like process: it creates endpoints (letting HNS
// pick addresses), attaches each to a fresh namespace, tries the contested
// address, and deletes every third endpoint again.
func runWorker(spec string) error {
	parts := strings.Split(spec, ",")
	if len(parts) != 4 {
		return fmt.Errorf("bad %s=%q", workerEnv, spec)
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil {
		return err
	}
	s, err := Open(parts[0])
	if err != nil {
		return err
	}
	ctx := context.Background()
	var res workerResult
	for i := range n {
		ep, err := s.CreateEndpoint(ctx, &hns.Endpoint{Name: fmt.Sprintf("w%s-%d_Calico", parts[2], i), HostComputeNetwork: parts[1]})
		if err != nil {
			return err
		}
		ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
		if err != nil {
			return err
		}
		if err := s.AttachEndpoint(ctx, ns.Id, ep.Id); err != nil {
			return err
		}
		if i%3 == 2 {
			if err := s.DeleteEndpoint(ctx, ep.Id); err != nil {
				return err
			}
			continue
		}
		res.Created = append(res.Created, ep.Id)
	}
	_, err = s.CreateEndpoint(ctx, &hns.Endpoint{Name: "contested", HostComputeNetwork: parts[1],
		IpConfigurations: []hns.IpConfig{{IpAddress: contestedIP}}})
	switch {
	case err == nil:
		res.Contested = "won"
	case hns.Code(err) != 0:
		res.Contested = fmt.Sprintf("0x%x", hns.Code(err))
	default:
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 20-process test")
	}
	const workers, perWorker = 20, 9
	s := openSim(t)
	ctx := context.Background()
	n, err := s.SetupOverlay(ctx, OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.0.0/22")}, 0)
	check(t, "SetupOverlay", err)

	results := make([]workerResult, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s,%d,%d", workerEnv, s.Dir(), n.Id, w, perWorker))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("worker %d: %v\n%s", w, err, stderr.String())
				return
			}
			if err := json.NewDecoder(bufio.NewReader(strings.NewReader(string(out)))).Decode(&results[w]); err != nil {
				t.Errorf("worker %d output %q: %v", w, out, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	won := 0
	for w, r := range results {
		switch r.Contested {
		case "won":
			won++
		case fmt.Sprintf("0x%x", hns.AddrInvalidOrReserved):
		default:
			t.Errorf("worker %d: contested address gave %s, want won or 0x803b002f", w, r.Contested)
		}
		if len(r.Created) != perWorker*2/3 {
			t.Errorf("worker %d kept %d endpoints, want %d", w, len(r.Created), perWorker*2/3)
		}
		for _, id := range r.Created {
			if _, err := s.GetEndpointByID(ctx, id); err != nil {
				t.Errorf("worker %d's endpoint %s: %v", w, id, err)
			}
		}
	}
	if won != 1 {
		t.Errorf("%d workers got the contested address, want exactly 1", won)
	}

	eps, err := s.ListEndpoints(ctx)
	check(t, "ListEndpoints", err)
	if want := 1 + workers*perWorker*2/3 + 1; len(eps) != want { // host endpoint, kept, contested
		t.Errorf("%d endpoints, want %d", len(eps), want)
	}
	ips, macs := map[string]string{}, map[string]string{}
	for _, e := range eps {
		ip := e.IpConfigurations[0].IpAddress
		if other, dup := ips[ip]; dup {
			t.Errorf("address %s held by %s and %s", ip, other, e.Id)
		}
		if other, dup := macs[e.MacAddress]; dup {
			t.Errorf("MAC %s held by %s and %s", e.MacAddress, other, e.Id)
		}
		ips[ip], macs[e.MacAddress] = e.Id, e.Id
	}
	checkConsistency(t, s)
}

// checkConsistency verifies that the indexes agree with the objects and
// that no temporary file was left behind.
func checkConsistency(t *testing.T, s *Sim) {
	t.Helper()
	byID, indexed := checkWhole(t, s, "after the processes")
	if indexed != len(byID) {
		t.Errorf("%d addresses indexed for %d single-address endpoints", indexed, len(byID))
	}
	var live []os.FileInfo
	filepath.WalkDir(s.Dir(), func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
		case strings.HasPrefix(d.Name(), ".tmp-"):
			t.Errorf("temporary file left behind: %s", path)
		case d.IsDir() && strings.HasPrefix(d.Name(), "."):
			return filepath.SkipDir
		case !d.IsDir():
			if fi, err := os.Stat(path); err == nil {
				live = append(live, fi)
			}
		}
		return nil
	})
	if pending, _ := listNames(s.st.path(pendingDir)); len(pending) != 0 {
		t.Errorf("pending links left behind: %v", pending)
	}
	// No pooled inode may still be a live file: it would be overwritten.
	pool, _ := listNames(s.st.path(poolDir))
	for _, name := range pool {
		fi, err := os.Stat(s.st.path(poolDir, name))
		if err != nil {
			continue
		}
		for _, l := range live {
			if os.SameFile(fi, l) {
				t.Errorf("pooled inode %s is the live file %s", name, l.Name())
			}
		}
	}
}
