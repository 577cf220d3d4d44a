//go:build !windows

package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/etcdtest"
)

// The kill-anywhere and chaos campaigns of issue 9: many pod lifecycles
// through the built binary, each ADD and DEL possibly killed (SIGKILL) at a
// random moment of its run, HNS faults armed, etcd members stopped, killed
// and restarted; the runtime then DELs as kubelet does, retrying until the
// DEL succeeds. Pods that started stay up for a while, so that an address
// given twice is seen; at the end nothing may be left. make test runs a few
// hundred lifecycles; make chaos runs thousands (the counts come from
// CALICO_WIN_KILL_LIFECYCLES and CALICO_WIN_CHAOS_LIFECYCLES).

func TestKillAnywhereIntegration(t *testing.T) {
	h := newHarness(t)
	campaign{lifecycles: envCount(t, "CALICO_WIN_KILL_LIFECYCLES", 300), kill: 0.8, seed: 1}.run(t, h)
}

// On the Kubernetes datastore: the node's block copy, the handle created
// alongside the first read, the unread DEL of the endpoint, each killed
// anywhere.
func TestKillAnywhereKDDIntegration(t *testing.T) {
	h := newKDDHarness(t)
	campaign{lifecycles: envCount(t, "CALICO_WIN_KILL_LIFECYCLES_KDD", 120), kill: 0.8, seed: 3}.run(t, h)
}

func TestChaosCampaignIntegration(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	nodes := newNodes(t, c.Member(0), strings.Join(c.Endpoints(), ","), 3)
	// Kills on the cluster too: a killed ADD whose commit etcd applies only
	// after the runtime's DEL has run loses its compare-and-swap to the
	// DEL's fence (ipam/fence.go, TestKilledAddCommitLandingAfterDelIntegration).
	campaign{lifecycles: envCount(t, "CALICO_WIN_CHAOS_LIFECYCLES", 40), kill: envChance(t, "CALICO_WIN_CHAOS_KILL", 0.4), fault: 0.3,
		cluster: c, outageEvery: 5, seed: 2}.run(t, nodes...)
}

// newNodes makes count Windows nodes sharing one Calico datastore: a pool
// of /26 blocks for them all, and for each its own simulated HNS, with no
// network yet (the plugin creates it with the subnet of the block the node
// claims), its own IPAM lock and log.
func newNodes(t *testing.T, etcd *etcdtest.Server, endpoints string, count int) []*harness {
	pool := netip.MustParsePrefix("10.244.4.0/22")
	etcd.PutIPPool(t, datastore.IPPool{Name: "pool1", CIDR: pool, BlockSize: 26, NATOutgoing: true})
	etcd.PutIPAMConfig(t, true, true, 0)
	ready := true
	etcd.PutClusterInformation(t, &ready)
	var nodes []*harness
	for i := range count {
		h := &harness{t: t, etcd: etcd, block: pool}
		h.setup(t)
		bg := context.Background()
		if err := h.sim.DeleteNetwork(bg, h.network.Id); err != nil {
			t.Fatal(err)
		}
		if err := h.sim.UpdateConfig(bg, func(c *sim.Config) { c.HostAddress = fmt.Sprintf("10.0.0.%d", 4+i) }); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("win-%d", i+1)
		etcd.PutNode(t, name, nil)
		h.conf["nodename"] = name
		h.onEtcd(endpoints)
		nodes = append(nodes, h)
	}
	return nodes
}

func envChance(t *testing.T, name string, def float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	p, err := strconv.ParseFloat(v, 64)
	if err != nil || p < 0 || p > 1 {
		t.Fatalf("%s=%q: want a chance between 0 and 1", name, v)
	}
	return p
}

func envCount(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive count", name, v)
	}
	return n
}

type campaign struct {
	lifecycles  int
	kill        float64           // chance that an ADD, or a pod's first DEL, is killed
	fault       float64           // chance that a lifecycle has an HNS fault armed
	cluster     *etcdtest.Cluster // etcd member outages when set
	outageEvery int               // lifecycles between outage changes
	seed        uint64
}

type tally struct {
	lifecycles, faults, kills, outages, addFailures, leaks, duplicates int
}

// livePods is how many started pods stay up at once.
const livePods = 6

func (c campaign) run(t *testing.T, nodes ...*harness) {
	h := nodes[0]
	rng := rand.New(rand.NewPCG(c.seed, 11)) // fixed: a failure is reproducible
	var n tally
	// A calibration lifecycle, never killed, gives the span over which to
	// pick the moment of a kill.
	calib := h.campaignPod("calib")
	start := time.Now()
	if _, err := h.invoke("ADD", calib, 0); err.err != nil {
		t.Fatalf("calibration ADD: %v", err.err)
	}
	addSpan := time.Since(start)
	start = time.Now()
	if _, err := h.invoke("DEL", calib, 0); err.err != nil {
		t.Fatalf("calibration DEL: %v", err.err)
	}
	delSpan := time.Since(start)
	killAt := func(span time.Duration) time.Duration {
		if rng.Float64() >= c.kill {
			return 0
		}
		return time.Duration(1 + rng.Int64N(int64(span)*6/5))
	}

	type livePod struct {
		h    *harness
		rt   *libcni.RuntimeConf
		addr string
	}
	var live []livePod
	holder := map[string]string{} // address -> container, for the pods up
	started := map[*harness]int{} // pods started, by node
	out := outages{c: c.cluster}
	kubeletDel := func(h *harness, rt *libcni.RuntimeConf) {
		for attempt := 0; ; attempt++ {
			var after time.Duration
			if attempt == 0 {
				after = killAt(delSpan)
			}
			_, res := h.invoke("DEL", rt, after)
			if res.killed {
				n.kills++
				continue
			}
			if res.err == nil {
				return
			}
			if attempt >= 2 {
				h.sim.ClearFaults(context.Background())
			}
			if attempt >= 4 {
				out.restore(t)
			}
			if attempt == 8 {
				t.Fatalf("DEL %s keeps failing: %v", rt.ContainerID, res.err)
			}
		}
	}
	begin := time.Now()
	for i := range c.lifecycles {
		n.lifecycles++
		if c.cluster != nil && i%c.outageEvery == 0 {
			if out.step(t, rng) {
				n.outages++
			}
			for _, nh := range nodes {
				nh.etcd = out.healthy()
			}
		}
		h := nodes[rng.IntN(len(nodes))]
		if rng.Float64() < c.fault {
			kind, code := faultKinds[rng.IntN(len(faultKinds)-1)], faultCodes[rng.IntN(len(faultCodes))]
			if err := h.sim.InjectFault(context.Background(), kind, code, 1+rng.IntN(2)); err != nil {
				t.Fatal(err)
			}
			n.faults++
		}
		rt := h.campaignPod(fmt.Sprintf("k%05d", i))
		addr, res := h.invoke("ADD", rt, killAt(addSpan))
		switch {
		case res.killed:
			n.kills++
		case res.err != nil:
			n.addFailures++
		}
		if addr == "" {
			// The sandbox never started: the runtime DELs it.
			kubeletDel(h, rt)
		} else {
			if other, dup := holder[addr]; dup {
				n.duplicates++
				t.Errorf("address %s given to %s while %s holds it", addr, rt.ContainerID, other)
			}
			holder[addr] = rt.ContainerID
			live = append(live, livePod{h, rt, addr})
			started[h]++
		}
		h.sim.ClearFaults(context.Background())
		if len(live) > livePods {
			p := live[0]
			live = live[1:]
			kubeletDel(p.h, p.rt)
			delete(holder, p.addr)
		}
	}
	out.restore(t)
	for _, nh := range nodes {
		if c.cluster != nil {
			nh.etcd = out.healthy()
		}
	}
	for _, p := range live {
		kubeletDel(p.h, p.rt)
	}
	for _, nh := range nodes {
		n.duplicates += nh.duplicateEndpoints()
		n.leaks += nh.countEndpointLeaks()
	}
	n.leaks += h.countDatastoreLeaks()
	t.Logf("\n%-6s %-12s %-8s %-7s %-8s %-13s %-6s %-10s %s\n%-6d %-12d %-8d %-7d %-8d %-13d %-6d %-10d %v",
		"nodes", "lifecycles", "faults", "kills", "outages", "ADDs failed", "leaks", "duplicates", "took",
		len(nodes), n.lifecycles, n.faults, n.kills, n.outages, n.addFailures, n.leaks, n.duplicates, time.Since(begin).Round(time.Second))
	if t.Failed() {
		// The logs of every lifecycle, to find out what happened to a leak.
		for i, nh := range nodes {
			if b, err := os.ReadFile(nh.conf["log_file_path"].(string)); err == nil {
				keep := filepath.Join(os.TempDir(), fmt.Sprintf("calico-win-%s-node%d-plugin.log", t.Name(), i+1))
				if os.WriteFile(keep, b, 0o644) == nil {
					t.Logf("the plugin's log on node %d is kept in %s", i+1, keep)
				}
			}
		}
	}
	if c.kill > 0 && n.kills == 0 {
		t.Errorf("no process was killed: the campaign exercised nothing")
	}
	if c.fault > 0 && n.faults == 0 {
		t.Errorf("no HNS fault was armed")
	}
	if len(started) < len(nodes) {
		t.Errorf("pods started on %d of %d nodes", len(started), len(nodes))
	}
	if c.cluster != nil && n.outages == 0 {
		t.Errorf("no etcd member outage")
	}
}

// result is how one plugin process ended.
type result struct {
	killed bool
	err    error // the CNI error, or how the process failed
}

// invoke runs the calico binary as a runtime does, for command on rt,
// killing it (SIGKILL) after killAfter when that is not zero. For an ADD
// that succeeded it returns the pod's address.
func (h *harness) invoke(command string, rt *libcni.RuntimeConf, killAfter time.Duration) (string, result) {
	h.t.Helper()
	cmd, stdout, stderr := h.pluginCmd(command, rt)
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Kill() })
		defer timer.Stop()
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "", result{killed: true}
		}
		var te types.Error
		if json.Unmarshal(stdout.Bytes(), &te) == nil && te.Code != 0 {
			return "", result{err: &te}
		}
		return "", result{err: fmt.Errorf("%v: %s%s", err, stdout.Bytes(), stderr.Bytes())}
	}
	if err != nil {
		return "", result{err: err}
	}
	if command != "ADD" {
		return "", result{}
	}
	var r struct {
		IPs []struct{ Address string } `json:"ips"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || len(r.IPs) == 0 {
		h.t.Fatalf("ADD %s: result %s: %v", rt.ContainerID, stdout.Bytes(), err)
	}
	p, err := netip.ParsePrefix(r.IPs[0].Address)
	if err != nil {
		h.t.Fatalf("ADD %s: address %q: %v", rt.ContainerID, r.IPs[0].Address, err)
	}
	return p.Addr().String(), result{}
}

// pluginCmd is the calico binary set up as a runtime runs it for command
// on rt, with its stdout and stderr.
func (h *harness) pluginCmd(command string, rt *libcni.RuntimeConf) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(filepath.Join(binDir, "calico"))
	var args []string
	for _, a := range rt.Args {
		args = append(args, a[0]+"="+a[1])
	}
	cmd.Env = append(os.Environ(), "CNI_COMMAND="+command, "CNI_CONTAINERID="+rt.ContainerID, "CNI_NETNS="+rt.NetNS,
		"CNI_IFNAME="+rt.IfName, "CNI_ARGS="+strings.Join(args, ";"), "CNI_PATH="+binDir,
		"CALICO_HNS_SIM_DIR="+h.sim.Dir()) // this node's HNS (the last value wins)
	cmd.Stdin = bytes.NewReader(h.stdin("1.1.0", nil))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// outages takes etcd members down and brings them back, one at a time.
type outages struct {
	c      *etcdtest.Cluster
	down   int // 1 + the index of the member down; 0: none
	paused bool
}

// step brings the member that is down back, or takes one down (the leader
// half of the time, by SIGSTOP or SIGKILL); it says whether it took one
// down.
func (o *outages) step(t *testing.T, rng *rand.Rand) bool {
	if o.down != 0 {
		o.restore(t)
		return false
	}
	i := rng.IntN(o.c.Len())
	if rng.IntN(2) == 0 {
		i = o.c.Leader(t)
	}
	o.down, o.paused = i+1, rng.IntN(2) == 0
	if o.paused {
		o.c.Pause(t, i)
	} else {
		o.c.Kill(t, i)
	}
	return true
}

func (o *outages) restore(t *testing.T) {
	if o.c == nil || o.down == 0 {
		return
	}
	i := o.down - 1
	if o.paused {
		o.c.Resume(t, i)
	} else {
		o.c.Restart(t, i)
	}
	o.down = 0
	o.c.Leader(t)
}

// healthy returns a member that is up, for the test's own reads.
func (o *outages) healthy() *etcdtest.Server {
	if o.c == nil {
		return nil
	}
	return o.c.Member(o.down % o.c.Len()) // the one after the member down, or member 0
}

// countEndpointLeaks reports, and counts, the pod HNS endpoints that
// outlived their pods on this node.
func (h *harness) countEndpointLeaks() int {
	h.t.Helper()
	n := 0
	eps, err := h.sim.ListEndpoints(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, ep := range eps {
		if ep.Name != "Calico_ep" && ep.Flags&hns.EndpointFlagRemote == 0 {
			n++
			h.t.Errorf("leaked HNS endpoint %s (%v)", ep.Name, ep.IpConfigurations)
		}
	}
	return n
}

// countDatastoreLeaks reports, and counts, what outlived the pods in the
// datastore: IPAM handles and allocations, WorkloadEndpoints.
// campaignPod is the runtime's view of a new pod (on the Kubernetes
// datastore, the pod is created first, as the kubelet sees it).
func (h *harness) campaignPod(name string) *libcni.RuntimeConf {
	if h.kas != nil {
		return h.kubePod(name, nil)
	}
	return pod(name, h.namespace())
}

func (h *harness) countDatastoreLeaks() int {
	h.t.Helper()
	if h.kas != nil {
		leaks := h.kddLeaks()
		for _, l := range leaks {
			h.t.Error(l)
		}
		return len(leaks)
	}
	n := 0
	for _, kv := range h.etcd.List(h.t, "/calico/ipam/v2/handle/") {
		n++
		h.t.Errorf("leaked IPAM handle %s", kv.Key)
	}
	for _, kv := range h.etcd.List(h.t, "/calico/ipam/v2/assignment/") {
		if c := strings.Count(kv.Value, `"handle_id"`); c > 1 {
			n += c - 1
			h.t.Errorf("leaked allocation in %s: %s", kv.Key, kv.Value)
		}
	}
	for _, kv := range h.etcd.List(h.t, "/calico/resources/v3/projectcalico.org/workloadendpoints/") {
		n++
		h.t.Errorf("leaked WorkloadEndpoint %s", kv.Key)
	}
	return n
}
