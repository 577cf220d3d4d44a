//go:build !windows

package plugin_test

// Process-level benchmarks: each operation is a fresh plugin process, as
// kubelet/containerd runs it, against the real etcd and the HNS simulator.
// Besides ns/op they report the median in ms, etcd operations per call (from
// etcd's own metrics) and the largest resident set of a plugin process.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calico-win/cni/internal/etcdtest"
	"github.com/calico-win/cni/internal/kastest"
)

func contextBG() context.Context { return context.Background() }

// proc runs one plugin process and returns what it cost (wall, CPU, peak RSS).
func (h *harness) proc(bin, command, cid, netns string, conf map[string]any) (measured, []byte, error) {
	return h.run(bin, command, cid, "pod-"+cid, netns, conf)
}

// procPod runs the calico plugin for pod default/name (container "cid-<name>").
func (h *harness) procPod(command, name, netns string) (measured, []byte, error) {
	return h.run("calico", command, "cid-"+name, name, netns, h.conf)
}

func (h *harness) run(bin, command, cid, podName, netns string, conf map[string]any) (measured, []byte, error) {
	stdin := h.stdin("1.0.0", conf)
	cmd := exec.Command(filepath.Join(binDir, bin))
	cmd.Env = append(os.Environ(), "CNI_COMMAND="+command, "CNI_CONTAINERID="+cid, "CNI_IFNAME=eth0",
		"CNI_PATH="+binDir, "CNI_NETNS="+netns, "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME="+podName,
		"CALICO_HNS_SIM_DIR="+h.sim.Dir()) // this harness's, when a benchmark has two
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout = &out
	read := measure(h.t, cmd)
	err := cmd.Run()
	m, merr := read()
	if err != nil {
		return m, out.Bytes(), fmt.Errorf("%s %s %s: %v: %s", bin, command, cid, err, out.String())
	}
	return m, out.Bytes(), merr
}

// etcdOps sums etcd's completed KV requests (Range, Txn, Put, DeleteRange).
func etcdOps(b *testing.B, srv *etcdtest.Server) float64 {
	resp, err := http.Get(srv.Endpoints()[0] + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var n float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "grpc_server_handled_total{") && strings.Contains(l, `grpc_service="etcdserverpb.KV"`) {
			var v float64
			fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v)
			n += v
		}
	}
	return n
}

type stats struct {
	mu  sync.Mutex
	d   []time.Duration
	cpu []time.Duration
	rss int64 // KB, the largest process's
}

func (s *stats) add(m measured) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, m.wall)
	s.cpu = append(s.cpu, m.cpu)
	s.rss = max(s.rss, m.rssKB)
}

// quantile is the q quantile of d in ms (d is sorted).
func quantile(d []time.Duration, q float64) float64 {
	slices.Sort(d)
	return float64(d[int(q*float64(len(d)-1))]) / 1e6
}

func median(d []time.Duration) float64 { return quantile(d, 0.5) }

func (s *stats) report(b *testing.B) {
	ms := quantile
	b.ReportMetric(ms(s.d, 0.5), "p50-ms")
	b.ReportMetric(ms(s.d, 0.99), "p99-ms")
	if len(s.cpu) > 0 {
		b.ReportMetric(ms(s.cpu, 0.5), "cpu-p50-ms")
	}
	b.ReportMetric(float64(s.rss)/1024, "maxRSS-MB")
}

func newBenchHarness(b *testing.B) *harness {
	h := newHarness(b)
	h.conf["log_level"] = "error"
	return h
}

func BenchmarkVersion(b *testing.B) {
	h := newBenchHarness(b)
	var s stats
	for i := 0; i < b.N; i++ {
		m, _, err := h.proc("calico", "VERSION", "", "", h.conf)
		if err != nil {
			b.Fatal(err)
		}
		s.add(m)
	}
	s.report(b)
}

// calico-ipam alone: one ADD (or DEL) process per iteration.
func BenchmarkIPAMAdd(b *testing.B) { newBenchHarness(b).benchOp(b, "calico-ipam", "ADD") }
func BenchmarkIPAMDel(b *testing.B) { newBenchHarness(b).benchOp(b, "calico-ipam", "DEL") }

// The full plugin: IPAM, HNS endpoint, WorkloadEndpoint.
func BenchmarkAdd(b *testing.B) { newBenchHarness(b).benchOp(b, "calico", "ADD") }
func BenchmarkDel(b *testing.B) { newBenchHarness(b).benchOp(b, "calico", "DEL") }

// benchOp measures op; the other half of the ADD/DEL pair runs untimed.
func (h *harness) benchOp(b *testing.B, bin, op string) {
	var s stats
	var ops float64
	for i := 0; i < b.N; i++ {
		ns := "11111111-2222-3333-4444-555555555555"
		if bin == "calico" {
			ns = h.namespace()
		}
		cid := fmt.Sprint("bench", i)
		for _, step := range []string{"ADD", "DEL"} {
			o0 := etcdOps(b, h.etcd)
			m, _, err := h.proc(bin, step, cid, ns, h.conf)
			if err != nil {
				b.Fatal(err)
			}
			if step == op {
				s.add(m)
				ops += etcdOps(b, h.etcd) - o0
			}
		}
	}
	s.report(b)
	b.ReportMetric(ops/float64(b.N), "etcd-ops/op")
}

// BenchmarkConcurrentIPAM50 is 50 calico-ipam ADDs started at once (wall time).
func BenchmarkConcurrentIPAM50(b *testing.B) {
	h := newBenchHarness(b)
	h.benchConcurrent(b, "calico-ipam", 50)
}

// BenchmarkConcurrentAdd110 is kubelet's default max pods started at once on
// one node through the full plugin.
func BenchmarkConcurrentAdd110(b *testing.B) {
	h := newBenchHarness(b)
	// 110 pods need a /25 block with single network.
	h.etcd.Wipe(b)
	h.block = netip.MustParsePrefix("10.244.5.0/25")
	seed(b, h)
	if err := h.sim.DeleteNetwork(contextBG(), h.network.Id); err != nil {
		b.Fatal(err)
	}
	var err error
	if h.network, err = h.setupNetwork(contextBG(), h.block, 0); err != nil {
		b.Fatal(err)
	}
	h.benchConcurrent(b, "calico", 110)
}

func (h *harness) benchConcurrent(b *testing.B, bin string, n int) {
	var walls stats
	for i := 0; i < b.N; i++ {
		nss := make([]string, n)
		for j := range nss {
			if bin == "calico" {
				nss[j] = h.namespace()
			} else {
				nss[j] = "11111111-2222-3333-4444-555555555555"
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		addrs := make([]string, n)
		start := time.Now()
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				var out []byte
				var m measured
				m, out, errs[j] = h.proc(bin, "ADD", fmt.Sprintf("c%d-%d", i, j), nss[j], h.conf)
				walls.mu.Lock()
				walls.rss = max(walls.rss, m.rssKB)
				walls.mu.Unlock()
				addrs[j] = string(out)
			}(j)
		}
		wg.Wait()
		walls.d = append(walls.d, time.Since(start))
		seen := map[string]bool{}
		for j, err := range errs {
			if err != nil {
				b.Fatalf("ADD %d: %v", j, err)
			}
			var r struct{ IPs []struct{ Address string } }
			json.Unmarshal([]byte(addrs[j]), &r)
			if len(r.IPs) == 0 || seen[r.IPs[0].Address] {
				b.Fatalf("ADD %d: duplicate or missing address in %s", j, addrs[j])
			}
			seen[r.IPs[0].Address] = true
		}
		for j := 0; j < n; j++ {
			if _, _, err := h.proc(bin, "DEL", fmt.Sprintf("c%d-%d", i, j), nss[j], h.conf); err != nil {
				b.Fatal(err)
			}
		}
	}
	walls.report(b)
}

// apiRequests sums the API server's served requests (apiserver_request_total).
func apiRequests(b *testing.B, h *harness) float64 {
	var n float64
	sc := bufio.NewScanner(bytes.NewReader(h.kas.Admin(b, http.MethodGet, "/metrics", nil)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "apiserver_request_total{") {
			var v float64
			fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v)
			n += v
		}
	}
	return n
}

// The full plugin on the Kubernetes datastore, as the restricted CNI identity.
func BenchmarkKDDAdd(b *testing.B) { newKDDBenchHarness(b).benchKDD(b, "ADD") }
func BenchmarkKDDDel(b *testing.B) { newKDDBenchHarness(b).benchKDD(b, "DEL") }

func newKDDBenchHarness(b *testing.B) *harness {
	h := newKDDHarness(b)
	h.conf["log_level"] = "error"
	return h
}

func (h *harness) benchKDD(b *testing.B, op string) {
	var s stats
	var reqs float64
	for i := 0; i < b.N; i++ {
		name := fmt.Sprint("bench-", i)
		h.kas.PutPod(b, kastest.Pod{Namespace: "default", Name: name, Node: node, ServiceAccount: "default"})
		ns := h.namespace()
		for _, step := range []string{"ADD", "DEL"} {
			r0 := apiRequests(b, h)
			m, _, err := h.procPod(step, name, ns)
			if err != nil {
				b.Fatal(err)
			}
			if step == op {
				s.add(m)
				if i > 0 || b.N == 1 { // steady state: the first call discovers and fills the caches
					reqs += apiRequests(b, h) - r0 // (the API server does not count its /metrics GETs)
				}
			}
		}
	}
	s.report(b)
	b.ReportMetric(reqs/float64(max(b.N-1, 1)), "api-requests/op")
}
