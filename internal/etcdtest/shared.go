package etcdtest

import (
	"os"
	"sync"
	"testing"
)

// One etcd per test binary, for packages with many tests: started by the
// first Shared call, stopped by Main.
var shared struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error
}

// Shared returns the package's shared etcd, starting it on first use, with
// everything under /calico deleted, so each test starts from an empty
// Calico datastore. Tests using it must not run in parallel with each other.
// The package's TestMain must call Main, which stops it.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "etcdtest-")
		if shared.err == nil {
			shared.srv, shared.err = start(bin, shared.dir, false)
		}
	})
	if shared.err != nil {
		t.Fatalf("starting the shared etcd: %v", shared.err)
	}
	s := shared.srv
	s.Wipe(t)
	from := s.logSize()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared etcd log (%s) during this test:\n%s", s.logPath, s.logSince(from))
		}
	})
	return s
}

// Main runs the tests, then stops the shared etcd (if any test started it)
// and exits: call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain with its own cleanup to do.
func Run(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir) // failed tests have printed the log's tail
	}
	return code
}
