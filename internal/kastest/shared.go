package kastest

import (
	"os"
	"sync"
	"testing"
)

// One server per CRD set per test binary, for packages with many tests:
// started by the first Shared (or SharedWith) call, stopped by Main.
var shared struct {
	mu      sync.Mutex
	servers map[CRDSet]*sharedServer
}

type sharedServer struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error
}

// Shared returns the package's shared server with the v1 CRDs, starting it
// on first use, wiped of Calico objects, nodes and pods, so each test starts
// from an empty datastore. Tests using it must not run in parallel with each
// other. The package's TestMain must call Main, which stops it.
func Shared(t testing.TB) *Server {
	t.Helper()
	return SharedWith(t, CRDsV1)
}

// SharedWith is Shared with the CRD set crds: one server per set.
func SharedWith(t testing.TB, crds CRDSet) *Server {
	t.Helper()
	kas, etcd := binaries(t)
	shared.mu.Lock()
	if shared.servers == nil {
		shared.servers = map[CRDSet]*sharedServer{}
	}
	ss := shared.servers[crds]
	if ss == nil {
		ss = &sharedServer{}
		shared.servers[crds] = ss
	}
	shared.mu.Unlock()
	ss.once.Do(func() {
		ss.dir, ss.err = os.MkdirTemp("", "kastest-")
		if ss.err == nil {
			ss.srv, ss.err = start(kas, etcd, ss.dir, crds)
		}
	})
	if ss.err != nil {
		t.Fatalf("starting the shared kube-apiserver (%s CRDs): %v", crds, ss.err)
	}
	s := ss.srv
	s.Wipe(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared kube-apiserver (%s CRDs) log (%s), last lines:\n%s", crds, s.kas.logPath, s.kas.tail(30))
		}
	})
	return s
}

// Main runs the tests, then stops the shared servers (those a test started)
// and exits: call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain that has more to stop.
func Run(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the shared servers that tests started.
func Stop() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, ss := range shared.servers {
		if ss.srv != nil {
			ss.srv.Stop()
		}
		if ss.dir != "" {
			os.RemoveAll(ss.dir) // failed tests have printed the log's tail
		}
	}
}
