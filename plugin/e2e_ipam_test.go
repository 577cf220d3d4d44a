//go:build !windows

package plugin_test

import (
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
	current "github.com/containernetworking/cni/pkg/types/100"
)

// ipamList runs calico-ipam as the network's only plugin, as the harness of
// issue 2 does: libcni drives the IPAM plugin binary directly.
func (h *harness) ipamList() *libcni.NetworkConfigList {
	h.t.Helper()
	var conf map[string]any
	json.Unmarshal(h.stdin("1.1.0", map[string]any{"type": "calico-ipam"}), &conf)
	b, _ := json.Marshal(map[string]any{"cniVersion": "1.1.0", "name": "Calico", "plugins": []any{conf}})
	l, err := libcni.NetworkConfFromBytes(b)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

func TestIPAMBinaryLifecycleIntegration(t *testing.T) {
	h := newHarness(t)
	l := h.ipamList()
	rt := pod("ipam-0", "11111111-2222-3333-4444-555555555555")
	r, err := h.cni.AddNetworkList(ctx(t), l, rt)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := current.NewResultFromResult(r)
	b, _ := json.Marshal(res)
	// Calico's IPAM result: the address with the block's mask and a route for the block.
	if !strings.Contains(string(b), `"ips":[{"address":"10.244.5.3/26"}]`) || !strings.Contains(string(b), `"routes":[{"dst":"10.244.5.3/26"}]`) {
		t.Fatalf("IPAM result %s", b)
	}
	if err := h.cni.CheckNetworkList(ctx(t), l, rt); err != nil {
		t.Fatalf("CHECK: %v", err)
	}
	h.etcd.Delete(t, "/calico/ipam/v2/handle/Calico.cid-ipam-0")
	if err := h.cni.CheckNetworkList(ctx(t), l, rt); err == nil || !strings.Contains(err.Error(), "holds no address") {
		t.Fatalf("CHECK without the handle: %v", err)
	}
	// The block still records the address; DEL releases what the handle
	// held, so re-create the handle the way the ADD wrote it first.
	h.etcd.Put(t, "/calico/ipam/v2/handle/Calico.cid-ipam-0", `{"block":{"10.244.5.0/26":1},"deleted":false}`)
	if err := h.cni.DelNetworkList(ctx(t), l, rt); err != nil {
		t.Fatal(err)
	}
	if err := h.cni.DelNetworkList(ctx(t), l, rt); err != nil {
		t.Fatalf("second DEL: %v", err)
	}
	h.leakCheck()

	v, err := h.cni.GetVersionInfo(ctx(t), "calico-ipam")
	if err != nil || strings.Join(v.SupportedVersions(), ",") != "0.3.0,0.3.1,0.4.0,1.0.0,1.1.0" {
		t.Fatalf("VERSION: %v, %v", v, err)
	}
}

// 50 ADDs from 50 separate calico-ipam processes at once get 50 distinct
// addresses, and 50 DELs free them all.
func TestIPAMConcurrentProcessesIntegration(t *testing.T) {
	h := newHarness(t)
	l := h.ipamList()
	const n = 50
	addrs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := h.cni.AddNetworkList(ctx(t), l, pod(fmt.Sprint("c", i), "11111111-2222-3333-4444-555555555555"))
			if err == nil {
				res, _ := current.NewResultFromResult(r)
				addrs[i] = res.IPs[0].Address.String()
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range addrs {
		if errs[i] != nil {
			t.Fatalf("ADD %d: %v", i, errs[i])
		}
		if seen[addrs[i]] {
			t.Fatalf("%s handed out twice", addrs[i])
		}
		seen[addrs[i]] = true
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = h.cni.DelNetworkList(ctx(t), l, pod(fmt.Sprint("c", i), "11111111-2222-3333-4444-555555555555"))
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("DEL %d: %v", i, err)
		}
	}
	h.leakCheck()
}

func TestIPAMBinaryGCAndStatusIntegration(t *testing.T) {
	h := newHarness(t)
	l := h.ipamList()
	for _, p := range []string{"a", "b", "c"} {
		if _, err := h.cni.AddNetworkList(ctx(t), l, pod(p, "11111111-2222-3333-4444-555555555555")); err != nil {
			t.Fatal(err)
		}
	}
	err := h.cni.GCNetworkList(ctx(t), l, &libcni.GCArgs{ValidAttachments: []types.GCAttachment{{ContainerID: "cid-b", IfName: "eth0"}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := h.etcd.List(t, "/calico/ipam/v2/handle/")
	if len(hs) != 1 || !strings.HasSuffix(hs[0].Key, "Calico.cid-b") {
		t.Fatalf("after GC: %v", hs)
	}
	if err := h.cni.GetStatusNetworkList(ctx(t), l); err != nil {
		t.Fatalf("STATUS: %v", err)
	}
	h.etcd.Wipe(t)
	if err := h.cni.GetStatusNetworkList(ctx(t), l); cniCode(err) != 50 {
		t.Fatalf("STATUS with no IPAM config: %v, want 50", err)
	}
}

// The same program serves both names, as Calico's does.
func TestBinaryNamesAndFlagsIntegration(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(binDir, "calico"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "calico-ipam"), src, 0o755)
	out, err := exec.Command(filepath.Join(dir, "calico-ipam")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "calico-ipam") {
		t.Fatalf("calico copied to calico-ipam, run without CNI_COMMAND: %v %s", err, out)
	}
	if out, err := exec.Command(filepath.Join(binDir, "calico"), "-v").Output(); err != nil || len(strings.TrimSpace(string(out))) == 0 {
		t.Fatalf("calico -v: %v %q", err, out)
	}
	h := newHarness(t)
	h.conf["name"] = "Calico"
	b, _ := json.Marshal(h.conf)
	cmd := exec.Command(filepath.Join(binDir, "calico"), "-t")
	cmd.Stdin = strings.NewReader(string(b))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("calico -t: %v %s", err, out)
	}
	h.conf["etcd_endpoints"] = "http://127.0.0.1:1"
	b, _ = json.Marshal(h.conf)
	cmd = exec.Command(filepath.Join(binDir, "calico"), "-t")
	cmd.Stdin = strings.NewReader(string(b))
	out, err = cmd.Output()
	if err == nil || !strings.Contains(string(out), `"code":100`) {
		t.Fatalf("calico -t with etcd down: %v %s", err, out)
	}
}

// Malformed stdin: skel's decode error (code 6), nothing written.
func TestMalformedConfigIntegration(t *testing.T) {
	h := newHarness(t)
	for _, bin := range []string{"calico", "calico-ipam"} {
		cmd := exec.Command(filepath.Join(binDir, bin))
		cmd.Env = append(os.Environ(), "CNI_COMMAND=ADD", "CNI_CONTAINERID=x1", "CNI_IFNAME=eth0", "CNI_PATH="+binDir,
			"CNI_NETNS="+h.namespace())
		cmd.Stdin = strings.NewReader(`{"cniVersion":"1.0.0","name":"Calico",`)
		out, _ := cmd.Output()
		var e types.Error
		if json.Unmarshal(out, &e) != nil || e.Code != 6 {
			t.Errorf("%s with malformed JSON printed %q, want a code 6 error", bin, out)
		}
	}
	h.leakCheck()
}
