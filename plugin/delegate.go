package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// delegationDepthEnv counts how deep in a chain of IPAM delegations a
// process runs. calico-ipam never delegates, so a main plugin started by a
// delegation (a copy of this binary, or a wrapper that calls it) has no
// reason to delegate again: it refuses, which ends any loop at once.
const delegationDepthEnv = "CALICO_WIN_DELEGATION_DEPTH"

// errDelegationLoop: ipam.type leads back into this plugin.
var errDelegationLoop = errors.New("IPAM delegation leads back into this plugin")

// delegateWaitDelay bounds how long the call waits, after the delegated
// plugin is killed, for descendants that escaped the kill (see
// startInGroup) and still hold its stdout or stderr.
const delegateWaitDelay = 200 * time.Millisecond

// ipamExec runs a delegated IPAM plugin (invoke.Exec): only from CNI_PATH,
// never this plugin itself, with CNI_ARGS made acceptable to plugins that
// refuse unknown keys, killed with its descendants at the call's deadline,
// and with its failure mapped to a CNI error that keeps the plugin's own
// code.
type ipamExec struct{ typ string }

func (e *ipamExec) FindInPath(plugin string, paths []string) (string, error) {
	if err := checkIPAMType(plugin); err != nil {
		return "", err
	}
	if depth, _ := strconv.Atoi(os.Getenv(delegationDepthEnv)); depth > 0 {
		return "", &ConfigError{Key: "ipam.type", Value: plugin, Reason: fmt.Sprintf(
			"%v: this plugin was itself started as a delegated IPAM plugin (%s=%d)", errDelegationLoop, delegationDepthEnv, depth)}
	}
	path, err := invoke.FindInPath(plugin, paths)
	if err != nil {
		return "", &ConfigError{Key: "ipam.type", Value: plugin, Reason: err.Error()}
	}
	if isSelf(path) {
		return "", &ConfigError{Key: "ipam.type", Value: plugin, Reason: fmt.Sprintf("%v (%s)", errDelegationLoop, path)}
	}
	return path, nil
}

// isSelf reports whether path is this program's own executable.
func isSelf(path string) bool {
	self, err := os.Executable()
	if err != nil {
		return false
	}
	a, err1 := os.Stat(path)
	b, err2 := os.Stat(self)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// checkIPAMType refuses an ipam.type that is not a plain plugin name: a
// path would run a program outside CNI_PATH, and "calico" is this plugin.
func checkIPAMType(typ string) error {
	switch {
	case strings.ContainsAny(typ, `/\:`) || typ == "." || typ == "..":
		return &ConfigError{Key: "ipam.type", Value: typ, Reason: "must be a plugin name in CNI_PATH, not a path"}
	case strings.EqualFold(strings.TrimSuffix(strings.ToLower(typ), ".exe"), "calico"):
		return &ConfigError{Key: "ipam.type", Value: typ, Reason: fmt.Sprintf("%v: use calico-ipam", errDelegationLoop)}
	}
	return nil
}

func (e *ipamExec) Decode(b []byte) (version.PluginInfo, error) {
	return (&version.PluginDecoder{}).Decode(b)
}

func (e *ipamExec) ExecPlugin(ctx context.Context, path string, stdin []byte, environ []string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path)
	cmd.Env = delegateEnv(environ)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = delegateWaitDelay
	release, err := startInGroup(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	release()
	if err == nil {
		return stdout.Bytes(), nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("IPAM plugin %s did not answer in time and was killed: %w", e.typ, ctx.Err())
	}
	var te types.Error
	if json.Unmarshal(stdout.Bytes(), &te) == nil && te.Code != 0 {
		te.Msg = fmt.Sprintf("IPAM plugin %s: %s", e.typ, te.Msg)
		return nil, &te
	}
	// No CNI error, or one with code 0 (which means success): an internal
	// failure of the delegated plugin.
	out := strings.TrimSpace(stdout.String() + " " + stderr.String())
	return nil, fmt.Errorf("IPAM plugin %s failed (%v) without a CNI error code: %q", e.typ, err, out)
}

// delegateEnv is the delegated plugin's environment: Calico adds
// IgnoreUnknown=1 to CNI_ARGS (host-local refuses K8S_* keys otherwise), and
// the delegation depth grows by one.
func delegateEnv(environ []string) []string {
	depth, _ := strconv.Atoi(os.Getenv(delegationDepthEnv))
	out := make([]string, 0, len(environ)+2)
	args := ""
	for _, kv := range environ {
		switch {
		case strings.HasPrefix(kv, "CNI_ARGS="):
			args = strings.TrimPrefix(kv, "CNI_ARGS=")
		case strings.HasPrefix(kv, delegationDepthEnv+"="):
		default:
			out = append(out, kv)
		}
	}
	if !strings.Contains(args, "IgnoreUnknown=") {
		if args == "" {
			args = "IgnoreUnknown=1"
		} else {
			args = "IgnoreUnknown=1;" + args
		}
	}
	return append(out, "CNI_ARGS="+args, delegationDepthEnv+"="+strconv.Itoa(depth+1))
}

// ipamExec returns the executor for the netconf's delegated IPAM plugin.
func (c *call) ipamExec() invoke.Exec { return &ipamExec{typ: c.nc.IPAM.Type} }
