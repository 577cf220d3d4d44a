//go:build !windows

package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// hnsctl runs one invocation against dir and returns its exit status and
// output.
func hnsctl(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(context.Background(), append([]string{"--dir", dir}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestScript(t *testing.T) {
	dir := t.TempDir()
	guid := `[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}`
	steps := []struct {
		args   string
		code   int
		stdout string // regexp the output must match
		stderr string // regexp stderr must match ("" = empty)
	}{
		{"network create --name Calico --subnet 10.244.5.0/26 --vni 4097 --management-ip 10.0.0.4", 0,
			`(?m)^` + guid + `\s+Calico\s+Overlay\s+10\.244\.5\.0/26 via 10\.244\.5\.1 vni 4097\s+10\.0\.0\.4\s+NetAdapterName,HostRoute,ProviderAddress,DrMacAddress\s+1$`, ""},
		{"network create --name Calico --subnet 10.9.0.0/24", 1, `^$`, `0x803b0010`},
		{"network create --name Low --subnet 10.9.0.0/24 --vni 100", 2, `^$`, `VNIs from 4096`},
		{"network create --name Bridge --type L2Bridge --subnet 10.9.0.0/24 --gateway 10.9.0.254 -o json", 0, `"Type": "L2Bridge"[\s\S]*"NextHop": "10.9.0.254"`, ""},
		{"endpoint create-remote --name other_pod --ip 10.244.5.20 --provider-address 10.0.0.5", 0, `other_pod\s+Calico\s+10\.244\.5\.20\s+00-15-5D-\S+\s+yes\s+-\s+Created\s+ProviderAddress`, ""},
		{"endpoint create --name pod_Calico --ip 10.244.5.10", 0, `pod_Calico\s+Calico\s+10\.244\.5\.10\s+\S+\s+no`, ""},
		{"endpoint create --name clash --ip 10.244.5.20", 1, `^$`, `An address provided is invalid or reserved`},
		{"endpoint create --name away --ip 10.244.9.7", 1, `^$`, `not part of any configured subnet`},
		{"endpoint create-remote --name noip", 2, `^$`, `needs --ip`},
		{"namespace create", 0, `^` + guid + `\n$`, ""},
		{"network create --name B2 --type L2Bridge --subnet 10.8.0.0/24 --vni 5000", 2, `^$`, `no VXLAN VNI`},
		{"endpoint create --network Bridge --name Bridge_ep --ip 10.9.0.2 --host", 0, `Bridge_ep\s+Bridge\s+10\.9\.0\.2\s+00-15-5D-\S+\s+no\s+` + guid + `\s+AttachedSharing`, ""},
		{"host namespace", 0, `"Type": "HostDefault"`, ""},
		{"host interfaces", 0, `(?m)^vEthernet \(Ethernet\)\s+10\.0\.0\.4\s+no\n^vEthernet \(Bridge_ep\)\s+10\.9\.0\.2\s+no\n$`, ""},
		{"endpoint list --network Calico", 0, `(?s)Calico_ep.*other_pod.*pod_Calico`, ""},
		{"endpoint show pod_Calico -o json", 0, `"IpAddress": "10.244.5.10"`, ""},
		{"endpoint show nope", 1, `^$`, `Endpoint name "nope" not found`},
		{"fault inject --kind getnetworkbyname --code 0x803b0020 --count 1", 0, `^$`, ""},
		{"fault list", 0, `GetNetworkByName\s+0x803b0020 The Host Compute Service is stopping\.\s+1`, ""},
		{"network show Calico", 1, `^$`, `hcnEnumerateNetworks failed in Win32: The Host Compute Service is stopping\. \(0x803b0020\)`},
		{"network show Calico", 0, `"Name": "Calico"`, ""},
		{"fault inject --kind Teleport --code 1", 1, `^$`, `unknown call kind`},
		{"fault latency --kind * --duration 1ms", 0, `^$`, ""},
		{"fault clear", 0, `^$`, ""},
		{"service stop", 0, `^$`, ""},
		{"endpoint list", 0, `other_pod`, ""}, // listing is inspection: works while stopped
		{"network show Calico", 1, `^$`, `0x803b0020`},
		{"service start", 0, `^$`, ""},
		{"version --set 10.1", 0, `VERSION\s+10\.1\nFEATURES\s+Acl,V2Api,RemoteSubnet,HostRoute\n`, ""},
		{"version -o json", 0, `"DSR": false`, ""},
		{"version --set ten", 2, `^$`, `bad version`},
		{"config set --cascade-delete=false --detach-code 0x490", 0, `CASCADE NETWORK DELETE\s+no[\s\S]*0x490`, ""},
		{"network delete Calico", 1, `^$`, `0x803b002c`},
		{"endpoint delete other_pod", 0, `^$`, ""},
		{"reset", 0, `^$`, ""},
		{"network list -o json", 0, `^\[\]\n$`, ""},
		{"network list", 0, `^ID\s+NAME`, ""},
		{"bogus", 2, `^$`, `unknown command`},
		{"network show", 2, `^$`, `wrong number of arguments`},
		{"network list -o yaml", 2, `^$`, `want table or json`},
		{"network create -h", 0, `--subnet`, ""},
	}
	for _, st := range steps {
		code, out, errOut := hnsctl(t, dir, strings.Fields(st.args)...)
		if code != st.code {
			t.Errorf("hnsctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", st.args, code, st.code, out, errOut)
			continue
		}
		if !regexp.MustCompile(st.stdout).MatchString(out) {
			t.Errorf("hnsctl %s: stdout\n%s\ndoes not match %s", st.args, out, st.stdout)
		}
		if (st.stderr == "") != (errOut == "") || !regexp.MustCompile(st.stderr).MatchString(errOut) {
			t.Errorf("hnsctl %s: stderr %q, want match of %q", st.args, errOut, st.stderr)
		}
	}
}

// The state hnsctl leaves is the state the plugin sees: check it through
// the simulator directly.
func TestNamespaceAttachAndMgmtDelay(t *testing.T) {
	dir := t.TempDir()
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errOut := hnsctl(t, dir, args...)
		if code != 0 {
			t.Fatalf("hnsctl %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	mustRun("network", "create", "--subnet", "10.244.5.0/26", "--management-ip", "10.0.0.4", "--mgmt-delay", "1h")
	mustRun("endpoint", "create", "--name", "pod_Calico", "--ip", "10.244.5.10")
	ns := strings.TrimSpace(mustRun("namespace", "create"))
	mustRun("namespace", "attach", strings.ToLower(ns), "pod_Calico")

	s, err := sim.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ep, err := s.GetEndpointByName(ctx, "pod_Calico")
	if err != nil || ep.HostComputeNamespace != ns {
		t.Fatalf("endpoint = %+v, %v; want attached to %s", ep, err, ns)
	}
	n, err := s.GetNetworkByName(ctx, "Calico")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range n.Policies {
		if p.Is(hns.ProviderAddress) {
			t.Errorf("management IP visible before --mgmt-delay: %s", p.Settings)
		}
	}
	var listed []hns.Namespace
	if err := json.Unmarshal([]byte(mustRun("namespace", "list", "-o", "json")), &listed); err != nil || len(listed) != 1 || len(listed[0].Resources) != 1 {
		t.Errorf("namespace list -o json = %+v, %v", listed, err)
	}
	mustRun("namespace", "detach", ns, "pod_Calico")
	if st, _ := s.EndpointState(ctx, ep.Id); st != sim.StateDetached {
		t.Errorf("state after detach = %v", st)
	}
}
