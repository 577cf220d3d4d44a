//go:build winee2e

package winee2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/hcnservice"
	"github.com/calico-win/cni/hns/sim"
	"github.com/calico-win/cni/internal/kastest"
)

const node = "win-node-1"

// env is one Windows node under Wine: the prefix, the binaries, the HCN
// service on a fresh simulator, and the netconf.
type env struct {
	t       *testing.T
	wine    string
	exe     string // calico.exe
	sim     *sim.Sim
	srv     *hcnservice.Server
	addr    string
	conf    map[string]any
	workdir string
}

func newEnv(t *testing.T, kubeconfig string) *env {
	t.Helper()
	wine, prefix, bin := os.Getenv("WINE"), os.Getenv("WINEPREFIX"), os.Getenv("CALICO_WIN_BIN")
	if wine == "" || prefix == "" || bin == "" {
		t.Fatal("WINE, WINEPREFIX (the HCN service prefix) and CALICO_WIN_BIN must be set: run scripts/wine-e2e-kdd.sh")
	}
	exe := filepath.Join(bin, "windows", "calico.exe")
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("%v: run make build", err)
	}
	// Calico's default IPAM lock directory, and the nodename file
	// calico-node writes there, as on a node installed with Calico for
	// Windows.
	dir := filepath.Join(prefix, "drive_c", "CalicoWindows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nodename"), []byte(node), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := sim.Open(t.TempDir(), sim.WithHostAddress("10.0.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := hcnservice.New(s)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("HCN service: %v", err)
		}
	})
	return &env{
		t: t, wine: wine, exe: exe, sim: s, srv: srv, addr: l.Addr().String(), workdir: t.TempDir(),
		conf: map[string]any{
			"name": "Calico", "cniVersion": "1.1.0", "type": "calico",
			"windows_use_single_network": true, "mode": "vxlan", "vxlan_mac_prefix": "0E-2A", "vxlan_vni": 4096,
			"policy":         map[string]any{"type": "k8s"},
			"log_level":      "info",
			"nodename_file":  `C:\CalicoWindows\nodename`,
			"datastore_type": "kubernetes",
			// A Linux path is a Z: path under Wine; the kubeconfig's own
			// (Linux) CA path resolves on the current drive, Z:, because
			// calico.exe runs in a Linux directory.
			"kubernetes": map[string]any{"kubeconfig": winPath(kubeconfig)},
			"ipam":       map[string]any{"type": "calico-ipam"},
			"policies": []any{map[string]any{"Name": "EndpointPolicy",
				"Value": map[string]any{"Type": "OutBoundNAT", "ExceptionList": []string{"10.96.0.0/12"}}}},
		},
	}
}

// winPath is a Linux path as Wine's Z: drive shows it.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// call runs calico.exe once under Wine, as containerd runs it, and returns
// its stdout and exit status.
func (e *env) call(cmd, containerID, netns, pod string, extra map[string]any) (string, int) {
	e.t.Helper()
	conf := map[string]any{}
	for k, v := range e.conf {
		conf[k] = v
	}
	for k, v := range extra {
		conf[k] = v
	}
	stdin, _ := json.Marshal(conf)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, e.wine, e.exe)
	c.Dir = e.workdir
	c.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	c.Env = append(os.Environ(),
		"CNI_COMMAND="+cmd, "CNI_CONTAINERID="+containerID, "CNI_NETNS="+netns, "CNI_IFNAME=eth0",
		`CNI_PATH=`+winPath(filepath.Dir(e.exe)), hcnservice.EnvAddr+"="+e.addr, "CALICO_HNS_BACKEND=",
		"CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME="+pod)
	start := time.Now()
	err := c.Run()
	e.t.Logf("%s %s: %v", cmd, pod, time.Since(start).Round(time.Millisecond))
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("%s %s: %v\n%s", cmd, pod, err, errb.String())
	}
	if code != 0 {
		e.t.Logf("%s %s: exit %d\nstdout: %s\nstderr: %s", cmd, pod, code, out.String(), errb.String())
	}
	return out.String(), code
}

func (e *env) mustCall(cmd, containerID, netns, pod string, extra map[string]any) string {
	e.t.Helper()
	out, code := e.call(cmd, containerID, netns, pod, extra)
	if code != 0 {
		e.t.Fatalf("%s %s failed (exit %d): %s", cmd, pod, code, out)
	}
	return out
}

func (e *env) namespace() string {
	e.t.Helper()
	ns, err := e.sim.CreateNamespace(context.Background(), &hns.Namespace{Type: "Host"})
	if err != nil {
		e.t.Fatal(err)
	}
	return ns.Id
}

func (e *env) podEndpoints() []string {
	e.t.Helper()
	eps, err := e.sim.ListEndpoints(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, ep := range eps {
		if ep.Name != "Calico_ep" {
			names = append(names, ep.Name)
		}
	}
	return names
}

func calicoItems(t *testing.T, kas *kastest.Server, plural string) []map[string]any {
	t.Helper()
	var l struct{ Items []map[string]any }
	kas.Object(t, kastest.CalicoPath(plural, ""), &l)
	return l.Items
}

func podAnnotations(t *testing.T, kas *kastest.Server, name string) map[string]string {
	t.Helper()
	var p struct {
		Metadata struct{ Annotations map[string]string } `json:"metadata"`
	}
	kas.Object(t, "/api/v1/namespaces/default/pods/"+name, &p)
	return p.Metadata.Annotations
}

// TestKDDLifecycleIntegration: calico.exe on the Kubernetes datastore, through hcsshim
// and the HCN service: STATUS, ADD and CHECK of three pods (the network
// and host endpoint created on the first), an ADD under an HNS fault that
// leaves nothing behind, DEL (twice), GC, and no leak.
func TestKDDLifecycleIntegration(t *testing.T) {
	kas := kastest.Start(t)
	kas.PutIPPool(t, datastore.IPPool{Name: "pool1", CIDR: netip.MustParsePrefix("10.244.5.0/26"), BlockSize: 26, NATOutgoing: true})
	kas.PutIPAMConfig(t, true, true, 0)
	ready := true
	kas.PutClusterInformation(t, &ready)
	kas.PutNode(t, node, map[string]string{"kubernetes.io/os": "windows"})
	e := newEnv(t, kas.CNIKubeconfig(t))

	// Before the first pod there is no Calico network (on a node,
	// calico-node creates it): STATUS says existing pods are affected.
	out, code := e.call("STATUS", "", "", "", nil)
	var cniErr struct{ Code int }
	json.Unmarshal([]byte(out), &cniErr)
	if code == 0 || cniErr.Code != 51 {
		t.Fatalf("STATUS without the network: exit %d, %s; want CNI code 51", code, out)
	}

	pods := []string{"web-0", "web-1", "web-2"}
	netns := map[string]string{}
	for _, p := range pods {
		kas.PutPod(t, kastest.Pod{Namespace: "default", Name: p, Node: node, ServiceAccount: "default", Labels: map[string]string{"app": "web"}})
		netns[p] = e.namespace()
		out := e.mustCall("ADD", "cid-"+p, netns[p], p, nil)
		var res struct{ IPs []struct{ Address string } }
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.IPs) != 1 || !strings.HasPrefix(res.IPs[0].Address, "10.244.5.") {
			t.Fatalf("ADD %s result %s: %v", p, out, err)
		}
		if a := podAnnotations(t, kas, p); a["cni.projectcalico.org/podIP"] != strings.TrimSuffix(res.IPs[0].Address, "/26")+"/32" ||
			a["cni.projectcalico.org/containerID"] != "cid-"+p {
			t.Errorf("pod %s annotations = %v", p, a)
		}
		var prev any
		json.Unmarshal([]byte(out), &prev)
		e.mustCall("CHECK", "cid-"+p, netns[p], p, map[string]any{"prevResult": prev})
	}
	if n, err := e.sim.GetNetworkByName(context.Background(), "Calico"); err != nil || len(n.Policies) == 0 {
		t.Fatalf("the Calico network was not created on first use: %+v, %v", n, err)
	}
	if _, err := e.sim.GetEndpointByName(context.Background(), "Calico_ep"); err != nil {
		t.Fatalf("no host endpoint: %v", err)
	}
	if got := e.podEndpoints(); len(got) != 3 {
		t.Fatalf("pod endpoints = %v, want 3", got)
	}
	e.mustCall("STATUS", "", "", "", nil)

	// An HNS fault on the endpoint's creation: try again later, nothing left.
	kas.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-3", Node: node, ServiceAccount: "default"})
	netns["web-3"] = e.namespace()
	if err := e.sim.InjectFault(context.Background(), sim.KindCreateEndpoint, hns.ServiceStopping, 1); err != nil {
		t.Fatal(err)
	}
	out, code = e.call("ADD", "cid-web-3", netns["web-3"], "web-3", nil)
	cniErr.Code = 0
	json.Unmarshal([]byte(out), &cniErr)
	if code == 0 || cniErr.Code != 11 {
		t.Fatalf("ADD under an HNS fault: exit %d, %s; want CNI code 11", code, out)
	}
	if len(calicoItems(t, kas, "ipamhandles")) != 3 || len(e.podEndpoints()) != 3 {
		t.Fatalf("the failed ADD left something: handles %d, endpoints %v", len(calicoItems(t, kas, "ipamhandles")), e.podEndpoints())
	}
	if a := podAnnotations(t, kas, "web-3"); a["cni.projectcalico.org/podIP"] != "" {
		t.Errorf("the failed ADD annotated the pod: %v", a)
	}
	e.mustCall("ADD", "cid-web-3", netns["web-3"], "web-3", nil)

	// DEL twice, then GC of a container the runtime has forgotten.
	e.mustCall("DEL", "cid-web-0", netns["web-0"], "web-0", nil)
	e.mustCall("DEL", "cid-web-0", netns["web-0"], "web-0", nil)
	valid := []map[string]string{{"containerID": "cid-web-1", "ifname": "eth0"}, {"containerID": "cid-web-3", "ifname": "eth0"}}
	e.mustCall("GC", "", "", "", map[string]any{"cni.dev/valid-attachments": valid})
	if got := e.podEndpoints(); len(got) != 2 {
		t.Fatalf("after GC pod endpoints = %v, want web-1's and web-3's", got)
	}
	for _, p := range []string{"web-1", "web-3"} {
		e.mustCall("DEL", "cid-"+p, netns[p], p, nil)
	}

	// No leak: HNS endpoints, IPAM handles, allocations, pod annotations.
	if got := e.podEndpoints(); len(got) != 0 {
		t.Errorf("leaked HNS endpoints %v", got)
	}
	for _, o := range calicoItems(t, kas, "ipamhandles") {
		t.Errorf("leaked IPAMHandle %v", o["metadata"].(map[string]any)["name"])
	}
	for _, o := range calicoItems(t, kas, "ipamblocks") {
		b, _ := json.Marshal(o["spec"])
		if n := strings.Count(string(b), `"handle_id"`); n > 1 { // the Windows reserved addresses' handle stays
			t.Errorf("leaked allocation in %s", b)
		}
	}
	for _, p := range []string{"web-0", "web-1", "web-3"} {
		if ip := podAnnotations(t, kas, p)["cni.projectcalico.org/podIP"]; ip != "" {
			t.Errorf("pod %s still has podIP %s", p, ip)
		}
	}
	// hcsshim does not close the network handle when HcnCreateEndpoint
	// fails (real HNS drops it when the process exits): that one only.
	if open := e.srv.OpenHandles(); len(open) != 1 || !strings.Contains(open[0], " Network ") {
		t.Errorf("HCN handles left open: %v; want only the network handle of the faulted ADD", open)
	}
}
