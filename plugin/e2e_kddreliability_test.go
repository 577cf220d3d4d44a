//go:build !windows

package plugin_test

// The plugin on the Kubernetes datastore when the API server misbehaves or
// other writers are busy: replies lost after the write landed (through
// internal/faultproxy), pods updated by others all the time, pods deleted
// before their ADD, network names the datastore cannot store.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/internal/faultproxy"
	"github.com/calico-win/cni/internal/kastest"
)

// ADDs and DELs run while another writer updates the pod up to 200 times
// a second (labels, as controllers and the kubelet do, only busier): none
// fails. (At 50 a second, a cycle now over in ~40 ms saw too few updates
// for the test to prove anything.)
func TestKDDPodChurnIntegration(t *testing.T) {
	h := newKDDHarness(t)
	h.kubePod("web-0", nil)
	stop := h.kas.ChurnPod(t, "default", "web-0", 5*time.Millisecond)
	const cycles = 8
	for i := range cycles {
		rt := pod("web-0", h.namespace())
		rt.ContainerID = fmt.Sprintf("cid-web-0-%d", i)
		if _, err := h.add(rt); err != nil {
			t.Errorf("cycle %d ADD: %v", i, err)
		}
		if err := h.del(rt); err != nil {
			t.Errorf("cycle %d DEL: %v", i, err)
		}
	}
	churned := stop()
	if churned < 2*cycles {
		t.Errorf("only %d pod updates during %d ADD/DEL cycles: the test did not churn", churned, cycles)
	}
	t.Logf("%d ADD/DEL cycles under %d pod updates", cycles, churned)
	h.kddLeakCheck()
	h.leakCheck()
}

// A write lands and its reply is lost (the connection reset after the API
// server applied it): the plugin resolves it by reading instead of undoing
// it, and the call succeeds with nothing leaked.
func TestKDDLostReplyIntegration(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule func() *faultproxy.Rule
		del  bool // the fault is in the DEL
	}{
		{"first block create", func() *faultproxy.Rule {
			return faultproxy.Match(http.MethodPost, `/ipamblocks$`, faultproxy.DropReply)
		}, false},
		{"block update", func() *faultproxy.Rule {
			return faultproxy.Match(http.MethodPut, `/ipamblocks/`, faultproxy.DropReply)
		}, false},
		{"handle deletion", func() *faultproxy.Rule {
			return faultproxy.Match(http.MethodDelete, `/ipamhandles/`, faultproxy.DropReply)
		}, true},
		{"endpoint deletion", func() *faultproxy.Rule {
			r := faultproxy.Match(http.MethodPatch, `/pods/web-0/status$`, faultproxy.DropReply)
			r.Nth = 2 // the ADD's patch, then the DEL's (unread, conditioned on the container ID)
			return r
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newKDDHarness(t)
			p, kc := faultproxy.Start(t, h.kas.CNIKubeconfig(t))
			h.conf["kubernetes"] = map[string]any{"kubeconfig": kc}
			rule := tc.rule()
			if tc.name == "block update" {
				rule.Nth = 2 // the first ADD's claim creates the block; the second updates it
			}
			p.Add(rule)
			a, b := h.kubePod("web-0", nil), h.kubePod("web-1", nil)
			h.mustAdd(a)
			h.mustAdd(b)
			if err := h.del(a); err != nil {
				t.Errorf("DEL: %v", err)
			}
			if err := h.del(b); err != nil {
				t.Errorf("DEL: %v", err)
			}
			if rule.Fired() != 1 {
				t.Errorf("the fault fired %d times, want 1", rule.Fired())
			}
			h.kddLeakCheck()
			h.leakCheck()
		})
	}
}

// A pod deleted before its sandbox's ADD reads it: code 11 (the runtime
// tears the sandbox down), nothing left behind.
func TestKDDAddOfDeletedPodIntegration(t *testing.T) {
	h := newKDDHarness(t)
	rt := pod("gone-0", h.namespace())
	_, err := h.add(rt)
	if cniCode(err) != types.ErrTryAgainLater {
		t.Fatalf("ADD of a pod that does not exist: %v, want code 11", err)
	}
	if err := h.del(rt); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	h.kddLeakCheck()
	h.leakCheck()
}

// A network name that cannot be part of an IPAMHandle's object name (Calico
// lower-cases the handle ID, and the API server refuses "_"): code 7 naming
// the "name" key, before anything is written; DEL succeeds.
func TestKDDNetworkNameIntegration(t *testing.T) {
	h := newKDDHarness(t)
	rt := h.kubePod("web-0", nil)
	b, err := json.Marshal(map[string]any{"cniVersion": "1.1.0", "name": "my_net", "plugins": []any{h.conf}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := libcni.NetworkConfFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.cni.AddNetworkList(ctx(t), list, rt)
	if cniCode(err) != types.ErrInvalidNetworkConfig || !strings.Contains(err.Error(), `"name"`) {
		t.Fatalf("ADD with network name my_net: %v, want code 7 naming \"name\"", err)
	}
	if err := h.cni.DelNetworkList(ctx(t), list, rt); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	for _, plural := range []string{"blockaffinities", "ipamblocks", "ipamhandles"} {
		if l := h.calicoList(plural); len(l) != 0 {
			t.Errorf("the refused ADD left %d %s", len(l), plural)
		}
	}
	h.kddLeakCheck()
	h.leakCheck()
}

// The API server stops answering the ADD's block update and the undo of the
// handle alike: the ADD still ends within its 10 s (code 11), and the DEL
// that follows cleans up.
func TestKDDAddDeadlineIntegration(t *testing.T) {
	h := newKDDHarness(t)
	p, kc := faultproxy.Start(t, h.kas.CNIKubeconfig(t))
	h.conf["kubernetes"] = map[string]any{"kubeconfig": kc}
	first, second := h.kubePod("web-0", nil), h.kubePod("web-1", nil)
	h.mustAdd(first)
	hang := []*faultproxy.Rule{
		{Method: http.MethodPut, Path: regexp.MustCompile(`/ipamblocks/`), Fault: faultproxy.Swallow},
		{Method: http.MethodDelete, Path: regexp.MustCompile(`/ipamhandles/`), Fault: faultproxy.Swallow},
	}
	p.Add(hang...)
	t0 := time.Now()
	_, err := h.add(second)
	took := time.Since(t0)
	if cniCode(err) != types.ErrTryAgainLater {
		t.Errorf("ADD with the API server hanging: %v, want code 11", err)
	}
	if took > 10*time.Second {
		t.Errorf("ADD took %v, past its 10 s", took)
	}
	t.Logf("ADD failed after %v", took)
	if hang[0].Fired() == 0 {
		t.Error("the fault never fired")
	}
	p.Clear()
	for _, rt := range []*libcni.RuntimeConf{second, first} {
		t0 := time.Now()
		if err := h.del(rt); err != nil {
			t.Errorf("DEL %s: %v", rt.ContainerID, err)
		}
		t.Logf("DEL %s took %v", rt.ContainerID, time.Since(t0))
	}
	h.kddLeakCheck()
	h.leakCheck()
}

// A pod deleted and recreated under its name while the old sandbox is
// still being set up: the old sandbox's ADD (K8S_POD_UID of the old pod)
// fails with code 11 without touching the new pod's annotations, and its
// DEL does not blank them.
func TestKDDRecreatedPodIntegration(t *testing.T) {
	h := newKDDHarness(t)
	withUID := func(rt *libcni.RuntimeConf, uid string) *libcni.RuntimeConf {
		rt.Args = append(rt.Args, [2]string{"K8S_POD_UID", uid})
		return rt
	}
	uid1 := h.kas.PutPod(t, kastestPod("web-0"))
	old := withUID(pod("web-0", h.namespace()), uid1)
	uid2 := h.kas.PutPod(t, kastestPod("web-0")) // deleted and created again
	newer := withUID(pod("web-0", h.namespace()), uid2)
	newer.ContainerID = "cid-web-0-new"
	h.mustAdd(newer)
	want := h.annotations("web-0")
	if _, err := h.add(old); cniCode(err) != types.ErrTryAgainLater {
		t.Errorf("the old sandbox's ADD: %v, want code 11", err)
	}
	if err := h.del(old); err != nil {
		t.Errorf("the old sandbox's DEL: %v", err)
	}
	got := h.annotations("web-0")
	for _, k := range []string{"cni.projectcalico.org/podIP", "cni.projectcalico.org/podIPs", "cni.projectcalico.org/containerID"} {
		if got[k] != want[k] {
			t.Errorf("the old sandbox changed %s of the new pod: %q, want %q", k, got[k], want[k])
		}
	}
	if err := h.del(newer); err != nil {
		t.Fatal(err)
	}
	h.kddLeakCheck()
	h.leakCheck()
}

func kastestPod(name string) kastest.Pod {
	return kastest.Pod{Namespace: "default", Name: name, Node: node, ServiceAccount: "default"}
}
