package kastest

import (
	"os"
	"sync"
	"testing"
)

// One server per test binary, for packages with many tests: started by the
// first Shared call, stopped by Main.
var shared struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error
}

// Shared returns the package's shared server, starting it on first use,
// wiped of Calico objects, nodes and pods, so each test starts from an
// empty datastore. Tests using it must not run in parallel with each other.
// The package's TestMain must call Main, which stops it.
func Shared(t testing.TB) *Server {
	t.Helper()
	kas, etcd := binaries(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "kastest-")
		if shared.err == nil {
			shared.srv, shared.err = start(kas, etcd, shared.dir)
		}
	})
	if shared.err != nil {
		t.Fatalf("starting the shared kube-apiserver: %v", shared.err)
	}
	s := shared.srv
	s.Wipe(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared kube-apiserver log (%s), last lines:\n%s", s.kas.logPath, s.kas.tail(30))
		}
	})
	return s
}

// Main runs the tests, then stops the shared server (if a test started it)
// and exits: call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain that has more to stop.
func Run(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the shared server, if a test started it.
func Stop() {
	if shared.srv != nil {
		shared.srv.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir) // failed tests have printed the log's tail
	}
}
