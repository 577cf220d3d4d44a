//go:build !windows

package plugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/hns"
)

func TestStatusIntegration(t *testing.T) {
	h := newHarness(t)
	if err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0")); err != nil {
		t.Fatalf("STATUS on a ready node: %v", err)
	}
	if err := h.sim.DeleteNetwork(context.Background(), h.network.Id); err != nil {
		t.Fatal(err)
	}
	if err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0")); cniCode(err) != 51 {
		t.Fatalf("STATUS without the HNS network: %v, want code 51 (existing pods affected)", err)
	}
	h.etcd.PutIPAMConfig(t, false, true, 0)
	if err := h.cni.GetStatusNetworkList(ctx(t), h.list("1.1.0")); cniCode(err) != 50 || !strings.Contains(err.Error(), "strict affinity") {
		t.Fatalf("STATUS with strict affinity off: %v, want code 50", err)
	}
}

// GC removes this node's endpoints and handles of containers not in the
// valid list; never the host endpoint, remote endpoints or other software's.
func TestGCIntegration(t *testing.T) {
	h := newHarness(t)
	keep, stale := pod("keep", h.namespace()), pod("stale", h.namespace())
	h.mustAdd(keep)
	h.mustAdd(stale)
	bg := context.Background()
	for _, ep := range []hns.Endpoint{
		{Name: "remote-pod", Flags: hns.EndpointFlagRemote, IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.40"}}},
		{Name: "kube-proxy-sourcevip", IpConfigurations: []hns.IpConfig{{IpAddress: "10.244.5.41"}}},
	} {
		ep.HostComputeNetwork = h.network.Id
		if _, err := h.sim.CreateEndpoint(bg, &ep); err != nil {
			t.Fatal(err)
		}
	}
	// Without cni.dev/valid-attachments nothing is collected.
	gcNoList(t, h)
	if _, err := h.sim.GetEndpointByName(bg, "cid-stale_Calico"); err != nil {
		t.Fatal("GC without a valid list removed an endpoint")
	}
	err := h.cni.GCNetworkList(ctx(t), h.list("1.1.0"), &libcni.GCArgs{ValidAttachments: []types.GCAttachment{{ContainerID: keep.ContainerID, IfName: "eth0"}}})
	if err != nil {
		t.Fatalf("GC: %v", err)
	}
	for name, want := range map[string]bool{"cid-keep_Calico": true, "cid-stale_Calico": false, "Calico_ep": true, "remote-pod": true, "kube-proxy-sourcevip": true} {
		_, err := h.sim.GetEndpointByName(bg, name)
		if (err == nil) != want {
			t.Errorf("after GC endpoint %s present=%v, want %v", name, err == nil, want)
		}
	}
	for h2, want := range map[string]bool{"Calico.cid-keep": true, "Calico.cid-stale": false} {
		if _, ok := h.etcd.Get(t, "/calico/ipam/v2/handle/"+h2); ok != want {
			t.Errorf("after GC handle %s present=%v, want %v", h2, ok, want)
		}
	}
}

// gcNoList sends GC with no cni.dev/valid-attachments key (as cnitool does),
// by running the plugin directly.
func gcNoList(t *testing.T, h *harness) {
	t.Helper()
	b := h.stdin("1.1.0", nil)
	cmd := exec.Command(filepath.Join(binDir, "calico"))
	cmd.Env = append(os.Environ(), "CNI_COMMAND=GC", "CNI_PATH="+binDir)
	cmd.Stdin = strings.NewReader(string(b))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GC without a list: %v\n%s", err, out)
	}
}

// Kubelet starts many pods at once: every ADD is its own process, with no
// node-wide lock around HNS work. All must succeed with distinct addresses.
func TestConcurrentAddsIntegration(t *testing.T) {
	h := newHarness(t)
	const n = 40
	rts := make([]*libcni.RuntimeConf, n)
	for i := range rts {
		rts[i] = pod(fmt.Sprintf("p%02d", i), h.namespace())
	}
	h.addAll(rts)
	eps, _ := h.sim.ListEndpoints(context.Background())
	if got := countPrefix(eps, "cid-p"); got != n {
		t.Fatalf("%d pod endpoints, want %d", got, n)
	}
	h.delAll(rts)
	h.leakCheck()
}

// addAll runs the pods' ADDs all at once, each its own plugin process, and
// checks that they all succeed with distinct addresses.
func (h *harness) addAll(rts []*libcni.RuntimeConf) {
	h.t.Helper()
	addrs := make([]string, len(rts))
	errs := make([]error, len(rts))
	var wg sync.WaitGroup
	for i := range rts {
		wg.Go(func() {
			r, err := h.add(rts[i])
			if err == nil {
				addrs[i] = r.IPs[0].Address.IP.String()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			h.t.Fatalf("ADD %d: %v", i, err)
		}
		if seen[addrs[i]] {
			h.t.Fatalf("address %s given twice", addrs[i])
		}
		seen[addrs[i]] = true
	}
}

// delAll runs the pods' DELs all at once.
func (h *harness) delAll(rts []*libcni.RuntimeConf) {
	h.t.Helper()
	errs := make([]error, len(rts))
	var wg sync.WaitGroup
	for i := range rts {
		wg.Go(func() { errs[i] = h.del(rts[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			h.t.Fatalf("DEL %d: %v", i, err)
		}
	}
}

// cnitool passes the netns as an absolute path (<cwd>/<GUID>); the plugin
// takes the GUID from its last element.
func TestCnitoolIntegration(t *testing.T) {
	tool, err := exec.LookPath("cnitool")
	if err != nil {
		t.Fatalf("cnitool not on PATH: run scripts/setup.sh and put its directory on PATH (%v)", err)
	}
	h := newHarness(t)
	confDir := t.TempDir()
	b, _ := json.Marshal(map[string]any{"cniVersion": "1.1.0", "name": "Calico", "plugins": []any{h.conf}})
	os.WriteFile(filepath.Join(confDir, "10-calico.conflist"), b, 0o644)
	guid := h.namespace()
	cwd := t.TempDir() // cnitool derives the container ID from <cwd>/<netns>
	run := func(args ...string) (string, error) {
		cmd := exec.Command(tool, args...)
		cmd.Dir = cwd
		cmd.Env = append(os.Environ(), "NETCONFPATH="+confDir, "CNI_PATH="+binDir,
			"CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=tool-pod", "CNI_CACHE_DIR="+filepath.Join(confDir, "cache"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("add", "Calico", guid)
	if err != nil {
		t.Fatalf("cnitool add: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"10.244.5.3/26"`) {
		t.Fatalf("cnitool add printed %s", out)
	}
	eps, _ := h.sim.ListEndpoints(context.Background())
	attached := false
	for _, e := range eps {
		if strings.HasPrefix(e.Name, "cnitool-") && strings.EqualFold(e.HostComputeNamespace, guid) {
			attached = true
		}
	}
	if !attached {
		t.Fatalf("no cnitool endpoint attached to %s: %+v", guid, eps)
	}
	if out, err := run("del", "Calico", guid); err != nil {
		t.Fatalf("cnitool del: %v\n%s", err, out)
	}
	h.leakCheck()
}
