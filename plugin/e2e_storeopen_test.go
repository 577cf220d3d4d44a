//go:build !windows

package plugin_test

// A datastore that cannot be opened (certificates not mounted yet, a
// malformed endpoint) is a CNI error with the right code from every command
// of both binaries, never a panic.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

// runBin runs one of the built binaries with a CNI command (or flags) and
// returns its CNI error (nil on success), its stdout and stderr.
func runBin(t *testing.T, bin string, stdin []byte, env []string, args ...string) (*types.Error, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, bin), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(string(stdin))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if strings.Contains(stderr.String(), "panic") {
		t.Fatalf("%s %v panicked:\n%s", bin, args, stderr.String())
	}
	if err == nil {
		return nil, stdout.String(), stderr.String()
	}
	var e types.Error
	if jerr := json.Unmarshal([]byte(stdout.String()), &e); jerr != nil {
		t.Fatalf("%s %v: %v, stdout %q is not a CNI error; stderr:\n%s", bin, args, err, stdout.String(), stderr.String())
	}
	return &e, stdout.String(), stderr.String()
}

// cniEnv is the environment of a CNI command for one container.
func cniEnv(cmd, containerID, netns string) []string {
	return []string{"CNI_COMMAND=" + cmd, "CNI_CONTAINERID=" + containerID, "CNI_NETNS=" + netns, "CNI_IFNAME=eth0",
		"CNI_PATH=" + binDir, "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"}
}

func TestUnopenableDatastoreIsACNIErrorIntegration(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	missing := filepath.Join(dir, "not-mounted-yet.pem")
	for _, tc := range []struct {
		name string
		conf map[string]any
		code uint
		key  string
	}{
		{"missing CA", map[string]any{"etcd_ca_cert_file": missing}, 11, "etcd_ca_cert_file"},
		{"missing cert", map[string]any{"etcd_cert_file": missing, "etcd_key_file": garbage}, 11, "etcd_cert_file"},
		{"missing key", map[string]any{"etcd_cert_file": garbage, "etcd_key_file": missing}, 11, "etcd_key_file"},
		{"garbage CA", map[string]any{"etcd_ca_cert_file": garbage}, 7, "etcd_ca_cert_file"},
		{"garbage cert", map[string]any{"etcd_cert_file": garbage, "etcd_key_file": garbage}, 7, "etcd_cert_file"},
		{"cert without key", map[string]any{"etcd_cert_file": garbage}, 7, "etcd_key_file"},
		{"endpoint without host", map[string]any{"etcd_endpoints": "http://"}, 7, "etcd_endpoints"},
		{"endpoint with a bad port", map[string]any{"etcd_endpoints": "http://127.0.0.1:port"}, 7, "etcd_endpoints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin := h.stdin("1.1.0", tc.conf)
			for _, bin := range []string{"calico", "calico-ipam"} {
				for _, cmd := range []string{"ADD", "DEL", "CHECK", "STATUS", "GC"} {
					e, _, _ := runBin(t, bin, stdin, cniEnv(cmd, "cid-web-0", h.namespace()))
					want := tc.code
					if cmd == "STATUS" {
						want = 50 // STATUS's own code for "cannot serve ADD", a config error too
					}
					if e == nil || e.Code != want || !strings.Contains(e.Msg+e.Details, tc.key) {
						t.Errorf("%s %s: %+v, want code %d naming %s", bin, cmd, e, want, tc.key)
					}
				}
			}
			e, out, _ := runBin(t, "calico", stdin, nil, "-t")
			if e == nil || e.Code != 100 || !strings.Contains(out, tc.key) {
				t.Errorf("calico -t: %s, want code 100 naming %s", out, tc.key)
			}
			h.leakCheck()
		})
	}
}
