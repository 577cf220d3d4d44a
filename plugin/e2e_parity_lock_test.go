//go:build !windows

package plugin_test

// Issue 10 item 7: the datastore migration lock (ClusterInformation
// datastoreReady false) on both datastores.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/internal/kastest"
)

// setReady writes ClusterInformation "default" with datastoreReady.
func (h *harness) setReady(ready bool) {
	h.t.Helper()
	if h.kas != nil {
		h.kas.PutClusterInformation(h.t, &ready)
		return
	}
	h.etcd.PutClusterInformation(h.t, &ready)
}

// hasHandle reports whether the IPAM handle exists.
func (h *harness) hasHandle(id string) bool {
	h.t.Helper()
	if h.kas != nil {
		return h.kas.Exists(h.t, kastest.CalicoPath("ipamhandles", strings.ToLower(id)))
	}
	_, ok := h.etcd.Get(h.t, "/calico/ipam/v2/handle/"+id)
	return ok
}

// gcNone runs bin's GC with an empty cni.dev/valid-attachments (every
// attachment is stale) directly, as a runtime does, and returns its output
// and CNI error code.
func (h *harness) gcNone(bin string) (string, uint) {
	h.t.Helper()
	var conf map[string]any
	json.Unmarshal(h.stdin("1.1.0", map[string]any{"type": bin}), &conf)
	conf["cni.dev/valid-attachments"] = []any{}
	b, _ := json.Marshal(conf)
	cmd := exec.Command(filepath.Join(binDir, bin))
	cmd.Env = append(os.Environ(), "CNI_COMMAND=GC", "CNI_PATH="+binDir)
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err == nil {
		return string(out), 0
	}
	var e types.Error
	if json.Unmarshal(out, &e) != nil {
		h.t.Fatalf("%s GC: %v: %s", bin, err, out)
	}
	return string(out), e.Code
}

// While the datastore is locked, the main plugin's DEL and GC write nothing
// and answer 11 (Calico's DEL refuses with the same message); calico-ipam's
// ADD and DEL go on, as Calico's calico-ipam does not look at the lock.
// Once unlocked, the DEL goes through.
func TestMigrationLockIntegration(t *testing.T) {
	for name, mk := range map[string]func(testing.TB) *harness{"etcd": newHarness, "kdd": newKDDHarness} {
		t.Run(name, func(t *testing.T) {
			h := mk(t)
			rt := pod("web-0", h.namespace())
			if h.kas != nil {
				rt = h.kubePod("web-0", nil)
			}
			h.mustAdd(rt)
			h.setReady(false)

			err := h.del(rt)
			if cniCode(err) != 11 || !contains(err, "Calico is currently not ready to process requests") {
				t.Fatalf("DEL while locked: %v, want code 11", err)
			}
			if !h.hasHandle("Calico." + rt.ContainerID) {
				t.Fatal("DEL while locked released the address")
			}
			if _, err := h.sim.GetEndpointByName(context.Background(), rt.ContainerID+"_Calico"); err != nil {
				t.Fatalf("DEL while locked removed the HNS endpoint: %v", err)
			}
			for _, bin := range []string{"calico", "calico-ipam"} {
				if out, code := h.gcNone(bin); code != 11 {
					t.Fatalf("%s GC while locked: code %d, want 11\n%s", bin, code, out)
				}
			}
			if !h.hasHandle("Calico." + rt.ContainerID) {
				t.Fatal("GC while locked released the address")
			}
			if _, err := h.sim.GetEndpointByName(context.Background(), rt.ContainerID+"_Calico"); err != nil {
				t.Fatalf("GC while locked removed the HNS endpoint: %v", err)
			}

			// calico-ipam alone, as Calico's: the lock is the main plugin's check.
			ipamRT := pod("ipam-0", "11111111-2222-3333-4444-555555555555")
			if _, err := h.cni.AddNetworkList(ctx(t), h.ipamList(), ipamRT); err != nil {
				t.Fatalf("calico-ipam ADD while locked: %v", err)
			}
			if err := h.cni.DelNetworkList(ctx(t), h.ipamList(), ipamRT); err != nil {
				t.Fatalf("calico-ipam DEL while locked: %v", err)
			}

			h.setReady(true)
			if err := h.del(rt); err != nil {
				t.Fatalf("DEL after the lock: %v", err)
			}
			h.leakCheck()
		})
	}
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }
