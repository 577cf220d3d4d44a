package plugin

import (
	"context"
	"errors"
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
	return a, a.validate()
}

// validate refuses pod names and namespaces that Kubernetes could not have
// given. Kubernetes' name rules (DNS-1123): a namespace is a label, a pod
// name a subdomain. The names become parts of etcd keys and API paths, so
// one with "/" or ".." would address another object.
func (a *Args) validate() error {
	if ns := string(a.K8S_POD_NAMESPACE); ns != "" && (len(ns) > 63 || !isDNS1123Label(ns)) {
		return &ArgsError{Msg: fmt.Sprintf("CNI_ARGS K8S_POD_NAMESPACE=%q is not a Kubernetes namespace name (DNS-1123 label)", ns)}
	}
	if p := string(a.K8S_POD_NAME); p != "" && (len(p) > 253 || !isDNS1123Subdomain(p)) {
		return &ArgsError{Msg: fmt.Sprintf("CNI_ARGS K8S_POD_NAME=%q is not a Kubernetes pod name (DNS-1123 subdomain)", p)}
	}
	return nil
}

// k8s reports whether the call comes from Kubernetes (both pod keys set).
func (a *Args) k8s() bool { return a.K8S_POD_NAME != "" && a.K8S_POD_NAMESPACE != "" }

// nodename finds this node's name as Calico does: the netconf "nodename", then
// the nodename file (trimmed and decoded from PowerShell's UTF-16 or BOM,
// unlike Calico, so a trailing newline or a BOM written by an editor or
// script does not create a phantom node), then "hostname", then
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
	case err == nil && decodeText(data) != "":
		return decodeText(data), nil
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

// minBudgetAfterLock is the least of the call's deadline that must be left
// once the IPAM lock is held; with less, the datastore work would fail with
// a timeout that hides where the time went.
const minBudgetAfterLock = 500 * time.Millisecond

// hostLock returns the IPAM host lock of the netconf. A lock file that
// cannot be created is a configuration error naming ipam_lock_file (unlike
// Calico, which then runs without the lock): the lock keeps the node's
// concurrent calls from fighting over one block, and its directory holds
// the node-local state files. Time spent waiting for the lock is named in
// the error when it used up the call's deadline.
func hostLock(nc *NetConf) func(ctx context.Context) (func(), error) {
	path := lockFile(nc)
	return func(ctx context.Context) (func(), error) {
		start := time.Now()
		unlock, err := flock.Lock(ctx, path)
		waited := time.Since(start).Round(time.Millisecond)
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
			return nil, fmt.Errorf("waited %s for the IPAM lock (ipam_lock_file %s), held by another CNI call, until the call's deadline: %w",
				waited, path, err)
		case err != nil:
			return nil, &ConfigError{Key: "ipam_lock_file", Value: path, Reason: "the lock file cannot be created: " + err.Error()}
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < minBudgetAfterLock {
			unlock()
			return nil, fmt.Errorf("waited %s for the IPAM lock (ipam_lock_file %s), held by another CNI call; too little of the call's deadline is left: %w",
				waited, path, context.DeadlineExceeded)
		}
		return unlock, nil
	}
}
