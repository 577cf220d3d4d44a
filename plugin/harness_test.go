//go:build !windows

package plugin_test

// The end-to-end harness: the built calico and calico-ipam binaries driven
// through libcni (as containerd drives them, with the raw HCN namespace GUID
// as the netns) against a real etcd and the HNS simulator, whose state
// directory the plugin processes share with the test.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/etcdtest"
	"github.com/calico-win/cni/internal/kastest"
	"github.com/calico-win/cni/internal/testctx"
)

var binDir string

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	dir, cleanup, err := binaries()
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the plugin binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := etcdtest.Run(m)
	kastest.Stop()
	cleanup()
	os.Exit(code)
}

// binaries returns a directory with calico and calico-ipam: $CALICO_WIN_BIN
// (make build's output) or a fresh build.
func binaries() (string, func(), error) {
	if d := os.Getenv("CALICO_WIN_BIN"); d != "" {
		return d, func() {}, nil
	}
	d, err := os.MkdirTemp("", "calico-win-bin-")
	if err != nil {
		return "", nil, err
	}
	for _, name := range []string{"calico", "calico-ipam"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(d, name), "../cmd/"+name).CombinedOutput()
		if err != nil {
			return "", nil, fmt.Errorf("%s: %v\n%s", name, err, out)
		}
	}
	return d, func() { os.RemoveAll(d) }, nil
}

// newCNIConfig is a libcni client with its exec given, as containerd's
// go-cni gives it: libcni sets a missing one on first use, unguarded,
// which is a data race when a test's goroutines share the client.
func newCNIConfig(paths []string, cacheDir string) *libcni.CNIConfig {
	return libcni.NewCNIConfigWithCacheDir(paths, cacheDir, &invoke.DefaultExec{
		RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}})
}

// harness is one test's world: a wiped Calico datastore, a fresh simulated
// HNS with the node's network in the mode under test, and a libcni client.
type harness struct {
	t       testing.TB
	etcd    *etcdtest.Server
	kas     *kastest.Server // set instead of etcd on the Kubernetes datastore
	sim     *sim.Sim
	cni     *libcni.CNIConfig
	conf    map[string]any // the calico plugin's config
	network *hns.Network
	block   netip.Prefix
	mode    string // vxlan or windows-bgp (e2e_mode_test.go)
}

const node = "win-1"

// newHarness seeds what calico-node would have made: pool (one /26 block,
// so the node's block is known), strict affinity, ClusterInformation, the
// Node, and the Calico network (e2e_mode_test.go) with management IP 10.0.0.4.
func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, etcd: etcdtest.Shared(t), block: netip.MustParsePrefix("10.244.5.0/26")}
	seed(t, h)
	h.setup(t)
	h.onEtcd(strings.Join(h.etcd.Endpoints(), ","))
	return h
}

// onEtcd points the config at etcd endpoints (comma-separated). No
// Kubernetes API beside this etcd, so no policy type: policy k8s needs the
// API to read the pod, as in Calico.
func (h *harness) onEtcd(endpoints string) {
	h.conf["datastore_type"], h.conf["etcd_endpoints"] = "etcdv3", endpoints
	delete(h.conf, "policy")
}

// setup makes the simulated HNS, the libcni client and the plugin config
// (without the datastore keys).
func (h *harness) setup(t testing.TB) {
	dir := t.TempDir()
	t.Setenv("CALICO_HNS_SIM_DIR", filepath.Join(dir, "hns"))
	s, err := sim.Open(filepath.Join(dir, "hns"))
	if err != nil {
		t.Fatal(err)
	}
	h.sim, h.mode = s, e2eMode(t)
	h.network, err = h.setupNetwork(context.Background(), h.block, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.cni = newCNIConfig([]string{binDir}, filepath.Join(dir, "cache"))
	h.conf = map[string]any{
		"type": "calico", "mode": h.mode, "vxlan_vni": 4096, "vxlan_mac_prefix": "0E-2A",
		"windows_use_single_network": true, "nodename": node, "nodename_file_optional": true,
		"ipam_lock_file": filepath.Join(dir, "ipam.lock"), "log_level": "debug",
		"log_file_path": filepath.Join(dir, "cni.log"),
		"policy":        map[string]any{"type": "k8s"},
		"ipam":          map[string]any{"type": "calico-ipam"},
		"dns":           map[string]any{"nameservers": []string{"10.96.0.10"}, "search": []string{"svc.cluster.local"}},
		"capabilities":  map[string]any{"dns": true},
		"policies": []any{
			map[string]any{"name": "EndpointPolicy", "value": map[string]any{"Type": "OutBoundNAT", "ExceptionList": []string{"10.96.0.0/12"}}},
			map[string]any{"name": "EndpointPolicy", "value": map[string]any{"Type": "SDNROUTE", "DestinationPrefix": "10.96.0.0/12", "NeedEncap": true}},
		},
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "cni.log")); err == nil {
				t.Logf("plugin log:\n%s", tail(string(b), 60))
			}
		}
	})
}

// seed writes the pool (exactly h.block), IPAMConfig, ClusterInformation and Node.
func seed(t testing.TB, h *harness) {
	t.Helper()
	h.etcd.PutIPPool(t, datastore.IPPool{Name: "pool1", CIDR: h.block, BlockSize: h.block.Bits(), NATOutgoing: true})
	h.etcd.PutIPAMConfig(t, true, true, 0)
	ready := true
	h.etcd.PutClusterInformation(t, &ready)
	h.etcd.PutNode(t, node, nil)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stdin is the plugin's config as a runtime passes it on stdin (name and
// cniVersion injected), with overrides applied.
func (h *harness) stdin(version string, overrides map[string]any) []byte {
	c := maps.Clone(h.conf)
	maps.Copy(c, overrides)
	c["cniVersion"], c["name"] = version, "Calico"
	b, err := json.Marshal(c)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

// list returns the network config list as libcni loads it from a file.
func (h *harness) list(version string) *libcni.NetworkConfigList {
	h.t.Helper()
	b, err := json.Marshal(map[string]any{"cniVersion": version, "name": "Calico", "plugins": []any{h.conf}})
	if err != nil {
		h.t.Fatal(err)
	}
	l, err := libcni.NetworkConfFromBytes(b)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// namespace creates an HCN namespace as containerd would and returns its GUID.
func (h *harness) namespace() string {
	h.t.Helper()
	ns, err := h.sim.CreateNamespace(context.Background(), &hns.Namespace{})
	if err != nil {
		h.t.Fatal(err)
	}
	return ns.Id
}

// pod is one sandbox: its runtime config.
func pod(name, netns string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID: "cid-" + name, NetNS: netns, IfName: "eth0",
		Args: [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", name}, {"K8S_POD_INFRA_CONTAINER_ID", "cid-" + name}},
	}
}

func ctx(t testing.TB) context.Context { return testctx.New(t, 60*time.Second) }

func (h *harness) add(rt *libcni.RuntimeConf) (*current.Result, error) {
	r, err := h.cni.AddNetworkList(ctx(h.t), h.list("1.1.0"), rt)
	if err != nil {
		return nil, err
	}
	return current.NewResultFromResult(r)
}

func (h *harness) mustAdd(rt *libcni.RuntimeConf) *current.Result {
	h.t.Helper()
	r, err := h.add(rt)
	if err != nil {
		h.t.Fatalf("ADD %s: %v", rt.ContainerID, err)
	}
	return r
}

func (h *harness) del(rt *libcni.RuntimeConf) error {
	return h.cni.DelNetworkList(ctx(h.t), h.list("1.1.0"), rt)
}

// cniCode returns the CNI error code of err (0 if none).
func cniCode(err error) uint {
	var te *types.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// leakCheck fails the test if anything of a pod outlives it: HNS pod
// endpoints, IPAM handles or allocations, workload endpoints.
func (h *harness) leakCheck() {
	h.t.Helper()
	eps, err := h.sim.ListEndpoints(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, ep := range eps {
		// Host endpoints ("<network>_ep") belong to the node, not to a pod.
		if !strings.HasSuffix(ep.Name, "_ep") && ep.Flags&hns.EndpointFlagRemote == 0 {
			h.t.Errorf("leaked HNS endpoint %s (%v)", ep.Name, ep.IpConfigurations)
		}
	}
	if h.kas != nil {
		h.kddLeakCheck()
		return
	}
	for _, kv := range h.etcd.List(h.t, "/calico/ipam/v2/handle/") {
		h.t.Errorf("leaked IPAM handle %s", kv.Key)
	}
	for _, kv := range h.etcd.List(h.t, "/calico/ipam/v2/assignment/") {
		if n := strings.Count(kv.Value, `"handle_id"`); n > 1 {
			h.t.Errorf("leaked allocation in %s: %s", kv.Key, kv.Value)
		}
	}
	for _, kv := range h.etcd.List(h.t, "/calico/resources/v3/projectcalico.org/workloadendpoints/") {
		h.t.Errorf("leaked WorkloadEndpoint %s", kv.Key)
	}
}
