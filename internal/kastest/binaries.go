package kastest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/calico-win/cni/internal/etcdtest"
)

// SkipEnv names the variable that skips every test needing the servers.
const SkipEnv = "CALICO_WIN_SKIP_INTEGRATION"

// Version is the kube-apiserver release scripts/kube-apiserver.sh builds.
const Version = "v1.34.4"

// binaries finds kube-apiserver and etcd, or ends the test: skipped only when
// asked for by SkipEnv.
func binaries(t testing.TB) (kas, etcd string) {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("%s=1: skipping a test that needs a real kube-apiserver", SkipEnv)
	}
	kas = os.Getenv("KUBE_APISERVER_BIN")
	if kas == "" {
		kas = filepath.Join(cacheDir(), Version, "kube-apiserver")
	}
	if _, err := os.Stat(kas); err != nil {
		t.Fatalf("this test needs a real kube-apiserver and %s is missing: run scripts/kube-apiserver.sh "+
			"(it builds %s from the Go module proxy once, ~8 min cold, into ~/.cache/kas), "+
			"or set KUBE_APISERVER_BIN, or %s=1 to skip such tests", kas, Version, SkipEnv)
	}
	return kas, etcdtest.Binary(t)
}

// cacheDir is where scripts/kube-apiserver.sh keeps its builds ($KAS_CACHE).
func cacheDir() string {
	if d := os.Getenv("KAS_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kas")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kas")
}
