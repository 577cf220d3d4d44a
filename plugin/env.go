package plugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/internal/flock"
)

// datastoreTimeout bounds all datastore work of one CNI call: an unreachable
// datastore fails the call with "try again later" instead of hanging (Calico
// waits 90 s).
const datastoreTimeout = 10 * time.Second

// Args are the CNI_ARGS keys Calico reads.
type Args struct {
	types.CommonArgs
	IP                         types.UnmarshallableString
	K8S_POD_NAME               types.UnmarshallableString //nolint:revive // CNI_ARGS names
	K8S_POD_NAMESPACE          types.UnmarshallableString //nolint:revive
	K8S_POD_INFRA_CONTAINER_ID types.UnmarshallableString //nolint:revive
	K8S_POD_UID                types.UnmarshallableString //nolint:revive
}

// parseArgs parses CNI_ARGS, ignoring unknown keys as Calico does.
func parseArgs(s string) (*Args, error) {
	a := &Args{}
	if s == "" {
		return a, nil
	}
	if !strings.Contains(s, "IgnoreUnknown=") {
		s = "IgnoreUnknown=1;" + s
	}
	if err := types.LoadArgs(s, a); err != nil {
		return nil, &ArgsError{Msg: "CNI_ARGS: " + err.Error()}
	}
	return a, nil
}

// k8s reports whether the call comes from Kubernetes (both pod keys set).
func (a *Args) k8s() bool { return a.K8S_POD_NAME != "" && a.K8S_POD_NAMESPACE != "" }

// nodename finds this node's name as Calico does: the netconf "nodename", then
// the nodename file (trimmed, unlike Calico, so a trailing newline written by
// an editor or script does not create a phantom node), then "hostname", then
// the OS host name in lower case. Unless nodename_file_optional is set, a
// missing nodename file fails the call: calico-node writes it when it starts,
// so its absence means the node is not ready for pods.
func nodename(nc *NetConf) (string, error) {
	path := nc.NodenameFile
	if path == "" {
		path = DefaultNodenameFile
	}
	data, err := os.ReadFile(path)
	if err != nil && !nc.NodenameFileOptional {
		return "", fmt.Errorf("%w: failed to read %s: %v: check that the calico/node container is running and has mounted /var/lib/calico/",
			errNotReady, path, err)
	}
	switch {
	case nc.Nodename != "":
		return nc.Nodename, nil
	case err == nil && strings.TrimSpace(string(data)) != "":
		return strings.TrimSpace(string(data)), nil
	case nc.Hostname != "":
		return nc.Hostname, nil
	}
	h, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("determining the node name: %w", err)
	}
	return strings.ToLower(h), nil
}

// defaultLockFile is the IPAM lock in the plugin's own state directory:
// on Windows under Calico's c:\CalicoWindows, which Calico's installers make
// with C:\'s inherited permissions (Users may add files), so not in it;
// elsewhere a run directory (the Linux build serves tests and the harness),
// or one per user in the temporary directory. Worked out once per process.
var defaultLockFile = sync.OnceValue(func() string {
	if runtime.GOOS == "windows" {
		return `c:\CalicoWindows\calico-win\ipam.lock`
	}
	if st, err := os.Stat("/var/run"); err == nil && st.IsDir() && writable("/var/run") {
		return "/var/run/calico-win/ipam.lock"
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("calico-win-%d", os.Geteuid()), "ipam.lock")
})

func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".probe")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// lockFile is the IPAM host lock (ipam_lock_file, or the default).
func lockFile(nc *NetConf) string {
	if nc.IPAMLockFile != "" {
		return nc.IPAMLockFile
	}
	return defaultLockFile()
}

// stateFile names a node-local file of the plugin's, beside the IPAM lock
// (the block hint, the cluster cache, the network lock), in the directory
// that prepareState made trusted.
func stateFile(nc *NetConf, name string) string {
	return filepath.Join(filepath.Dir(lockFile(nc)), name)
}

// hostLock returns the IPAM host lock of the netconf.
func hostLock(nc *NetConf) func(ctx context.Context) (func(), error) {
	path := lockFile(nc)
	return func(ctx context.Context) (func(), error) { return flock.Lock(ctx, path) }
}
