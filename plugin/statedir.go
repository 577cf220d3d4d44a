package plugin

import (
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/calico-win/cni/internal/statedir"
)

// The plugin's node-local state (the IPAM lock, the network lock, the block
// hint, the cluster cache, the kept API group) lives in the directory of
// ipam_lock_file, which only SYSTEM and Administrators (root on Linux) may
// change: a forged cache would hand out a pool the cluster does not have,
// and a lock that others may open can be held by them, blocking every ADD
// and DEL (see internal/statedir).

// prepareState makes the state directory and its two locks trusted before
// the call uses them.
func prepareState(nc *NetConf) error {
	return prepareStateAt(lockFile(nc), nc.IPAMLockFile == "")
}

// prepareStateAt: with own (ipam_lock_file unset) the directory is the
// plugin's own, which an earlier version made with inherited or 0755
// permissions: it is restricted if SYSTEM, Administrators or root own it. A
// directory the operator named is never changed: one that others may change
// fails the call with code 7 naming ipam_lock_file. The locks are the
// plugin's own files either way.
func prepareStateAt(lock string, own bool) error {
	err := statedir.Ensure(filepath.Dir(lock), own)
	if err == nil {
		err = statedir.PrepareLock(lock)
	}
	if err == nil {
		err = statedir.PrepareLock(filepath.Join(filepath.Dir(lock), "hns-network.lock"))
	}
	if err != nil {
		return &ConfigError{Key: "ipam_lock_file", Value: lock, Reason: "the node's IPAM lock and state are kept in its directory, which must be private: " + err.Error()}
	}
	return nil
}

// readState reads a node-local cache or hint as os.ReadFile does. One that
// others could have written is an error, logged: the caller reads the
// datastore instead, and the next write replaces the file by a private one.
func readState(path string) ([]byte, error) {
	b, err := statedir.ReadFile(path)
	var ue *statedir.UntrustedError
	if errors.As(err, &ue) {
		slog.Warn("ignoring a node-local cache that others could have written; reading the datastore instead",
			"path", path, "reason", ue.Reason, "fix", ue.Fix)
	}
	return b, err
}
