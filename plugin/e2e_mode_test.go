//go:build !windows

package plugin_test

// The networking mode the end-to-end tests run in. The tests are written
// once: what differs between VXLAN and L2Bridge (the network calico-node
// made, the pod's MAC, gateway and mode policy, the host endpoint) comes
// from the harness. A plain `go test` runs them in VXLAN mode, and
// TestL2BridgeModeIntegration runs the lifecycle tests again, in a child
// test process, in windows-bgp mode.

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hns/sim"
)

// modeEnv selects the mode: "vxlan" (default) or "windows-bgp".
const modeEnv = "CALICO_WIN_E2E_MODE"

func e2eMode(t testing.TB) string {
	switch m := os.Getenv(modeEnv); m {
	case "", "vxlan":
		return "vxlan"
	case "windows-bgp":
		return m
	default:
		t.Fatalf("%s=%q, want vxlan or windows-bgp", modeEnv, m)
		return ""
	}
}

func (h *harness) bgp() bool { return h.mode == "windows-bgp" }

var mgmtIP = netip.MustParseAddr("10.0.0.4")

// setupNetwork makes the node's network as calico-node does in the
// harness's mode, subnet block, its management IP (10.0.0.4) appearing
// after delay.
func (h *harness) setupNetwork(ctx context.Context, block netip.Prefix, delay time.Duration) (*hns.Network, error) {
	if h.bgp() {
		return h.sim.SetupL2Bridge(ctx, sim.L2BridgeSpec{Name: "Calico", Subnet: block, ManagementIP: mgmtIP}, delay)
	}
	return h.sim.SetupOverlay(ctx, sim.OverlaySpec{Name: "Calico", Subnet: block, ManagementIP: mgmtIP}, delay)
}

// podGateway is the pods' gateway in h.block: .1 in VXLAN, the host
// endpoint (.2) in L2Bridge.
func (h *harness) podGateway() string {
	if h.bgp() {
		return "10.244.5.2"
	}
	return "10.244.5.1"
}

// modePolicy is the endpoint policy the mode adds for the pods.
func (h *harness) modePolicy() string {
	if h.bgp() {
		return `{"Type":"SDNRoute","Settings":{"DestinationPrefix":"10.0.0.4/32","NeedEncap":true}}`
	}
	return `{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.0.4"}}`
}

// wantMAC is the pod MAC for addr: derived from the address in VXLAN mode,
// HNS's (from the network's pool, 00-15-5D-...) in L2Bridge mode.
func (h *harness) macOK(mac string, addr string) bool {
	if h.bgp() {
		return strings.HasPrefix(strings.ToUpper(mac), "00-15-5D-")
	}
	a := netip.MustParseAddr(addr).As4()
	return mac == "0E-2A-"+strings.Join([]string{hex2(a[0]), hex2(a[1]), hex2(a[2]), hex2(a[3])}, "-")
}

func hex2(b byte) string { return string("0123456789abcdef"[b>>4]) + string("0123456789abcdef"[b&15]) }

// checkNetwork verifies the network n is what the mode creates for h.block.
func (h *harness) checkNetwork(t testing.TB, n *hns.Network) {
	t.Helper()
	sub := n.Ipams[0].Subnets[0]
	subPols, _ := json.Marshal(sub.Policies)
	pols, _ := json.Marshal(n.Policies)
	ok := sub.IpAddressPrefix == "10.244.5.0/26" && sub.Routes[0].NextHop == "10.244.5.1" && strings.Contains(string(pols), `"ProviderAddress":"10.0.0.4"`)
	if h.bgp() {
		ok = ok && n.Type == "L2Bridge" && len(sub.Policies) == 0 && !strings.Contains(string(pols), "HostRoute")
	} else {
		ok = ok && n.Type == "Overlay" && strings.Contains(string(subPols), `"IsolationId":4096`) && strings.Contains(string(pols), "HostRoute")
	}
	if !ok {
		t.Fatalf("network = %+v\nsubnet policies %s\npolicies %s", n, subPols, pols)
	}
}

// checkHostEndpoint verifies the host endpoint on n: .2, remote (VXLAN) or
// given to the host with forwarding on it and on the management interface
// (L2Bridge).
func (h *harness) checkHostEndpoint(t testing.TB, n *hns.Network) {
	t.Helper()
	bg := context.Background()
	hep, err := h.sim.GetEndpointByName(bg, "Calico_ep")
	if err != nil || hep.IpConfigurations[0].IpAddress != "10.244.5.2" || !strings.EqualFold(hep.HostComputeNetwork, n.Id) {
		t.Fatalf("host endpoint: %+v, %v", hep, err)
	}
	if !h.bgp() {
		if hep.Flags&hns.EndpointFlagRemote == 0 {
			t.Errorf("VXLAN host endpoint is not remote: %+v", hep)
		}
		return
	}
	ns, err := h.sim.HostNamespace(bg)
	if err != nil || !strings.EqualFold(hep.HostComputeNamespace, ns.Id) || hep.Flags&hns.EndpointFlagRemote != 0 {
		t.Fatalf("L2Bridge host endpoint %+v not given to the host (%+v, %v)", hep, ns, err)
	}
	ifs, err := h.sim.Interfaces(bg)
	if err != nil {
		t.Fatal(err)
	}
	var fwd []string
	for _, i := range ifs {
		if i.Forwarding {
			fwd = append(fwd, i.Name)
		}
	}
	if strings.Join(fwd, ",") != sim.AdapterInterface+",vEthernet (Calico_ep)" {
		t.Errorf("forwarding on %v, want the management interface and the host endpoint's", fwd)
	}
}

// The lifecycle tests, again in L2Bridge mode: ADD, CHECK, DEL, repeated
// ADD, GC, STATUS, faults, concurrency and leak checks, on etcd and on the
// Kubernetes datastore. They run in a child process (the mode is read when
// each harness is made) so that a plain `go test ./plugin` covers both
// modes.
var l2bridgeTests = []string{
	"TestAddCheckDelIntegration", "TestRepeatedAddReturnsSameResultIntegration", "TestDelWithoutAddAndWithoutNamespaceIntegration",
	"TestDelOfOldSandboxKeepsNewWEPIntegration", "TestCheckMismatchesIntegration",
	"TestStatusIntegration", "TestStatusModeMismatchIntegration", "TestGCIntegration", "TestConcurrentAddsIntegration",
	"TestAddFaultInjectionLeavesNothingIntegration", "TestHNSStoppedIsTryAgainIntegration", "TestNetworkRecreatedReplacesStaleEndpointIntegration",
	"TestAddressConflictsIntegration", "TestRandomFaultsNeverLeakIntegration",
	"TestAddCreatesMissingNetworkIntegration", "TestManagementIPNotYetIntegration", "TestWrongSubnetNetworkIsReplacedIntegration",
	"TestKDDAddCheckDelIntegration", "TestKDDConcurrentAddsIntegration", "TestKDDFaultLeavesNothingIntegration", "TestKDDGCAndStatusIntegration",
	"TestKDDPoolAnnotationIntegration", // a network per block
}

func TestL2BridgeModeIntegration(t *testing.T) {
	if e2eMode(t) != "vxlan" {
		return // this is the child
	}
	args := []string{"-test.run=^(" + strings.Join(l2bridgeTests, "|") + ")$", "-test.count=1", "-test.v"}
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), modeEnv+"=windows-bgp", "CALICO_WIN_BIN="+binDir)
	out, err := cmd.CombinedOutput()
	if testing.Verbose() || err != nil {
		t.Logf("windows-bgp run:\n%s", out)
	}
	if err != nil {
		t.Fatalf("the lifecycle tests fail in windows-bgp mode: %v", err)
	}
	for _, name := range l2bridgeTests {
		if !strings.Contains(string(out), "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass in windows-bgp mode", name)
		}
	}
}
