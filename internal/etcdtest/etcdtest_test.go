package etcdtest

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
)

func TestMain(m *testing.M) { Main(m) }

// recorder is a testing.TB that notes Fatalf and Skipf instead of ending
// the real test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(f string, a ...any) {
	r.fatal = fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (r *recorder) Skipf(f string, a ...any) {
	r.skip = fmt.Sprintf(f, a...)
	runtime.Goexit()
}

func lookup(t *testing.T) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Binary(r)
	}()
	<-done
	return r
}

func TestMissingEtcdFailsWithSetupHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("ETCD_BIN", "")
	t.Setenv(SkipEnv, "")
	r := lookup(t)
	if r.skip != "" {
		t.Fatalf("skipped (%q): a missing etcd must fail the test", r.skip)
	}
	for _, want := range []string{"scripts/setup.sh", "apt-get install etcd-server", SkipEnv + "=1"} {
		if !strings.Contains(r.fatal, want) {
			t.Errorf("failure %q does not mention %q", r.fatal, want)
		}
	}
}

func TestSkipOnlyWhenAsked(t *testing.T) {
	t.Setenv(SkipEnv, "1")
	if r := lookup(t); r.skip == "" || r.fatal != "" {
		t.Errorf("with %s=1: skip %q, fatal %q; want a skip", SkipEnv, r.skip, r.fatal)
	}
}

func TestServerLifecycleIntegration(t *testing.T) {
	s := Start(t)
	s.Put(t, "/calico/ipam/v2/handle/a", "1")
	s.Put(t, "/calico/ipam/v2/handle/b", "2")
	s.Put(t, "/registry/pods/default/p", "kube")
	if got := s.List(t, "/calico/"); len(got) != 2 || got[0].Key != "/calico/ipam/v2/handle/a" || got[1].Value != "2" || got[0].ModRevision == "" {
		t.Errorf("List = %+v", got)
	}
	s.Delete(t, "/calico/ipam/v2/handle/a")
	if _, ok := s.Get(t, "/calico/ipam/v2/handle/a"); ok {
		t.Errorf("Delete left the key")
	}
	s.Wipe(t)
	if got := s.List(t, "/calico"); len(got) != 0 {
		t.Errorf("Wipe left %+v", got)
	}
	if v, ok := s.Get(t, "/registry/pods/default/p"); !ok || v != "kube" {
		t.Errorf("Wipe touched a key outside /calico")
	}
	s.Stop()
	if resp, err := http.Get(s.Endpoints()[0] + "/health"); err == nil {
		resp.Body.Close()
		t.Errorf("etcd still answers after Stop")
	}
}

func TestSharedStartsEmptyIntegration(t *testing.T) {
	a := Shared(t)
	a.Put(t, "/calico/ipam/v2/config", "{}")
	b := Shared(t)
	if a != b {
		t.Errorf("Shared started a second etcd")
	}
	if _, ok := b.Get(t, "/calico/ipam/v2/config"); ok {
		t.Errorf("Shared did not wipe /calico")
	}
}

func TestSeedsAsCalicoWritesIntegration(t *testing.T) {
	s := Shared(t)
	yes := true
	s.PutIPPool(t, datastore.IPPool{Name: "pool-10-244", CIDR: netip.MustParsePrefix("10.244.0.0/16"), NATOutgoing: true, VXLANMode: "Always"})
	s.PutIPAMConfig(t, true, true, 100)
	s.PutClusterInformation(t, &yes)
	s.PutNode(t, "node1", map[string]string{"kubernetes.io/os": "windows"})

	identity := regexp.MustCompile(`"uid":"[0-9a-f-]{36}","creationTimestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`)
	const id = `"uid":"U","creationTimestamp":"T"`
	for _, tc := range []struct{ key, want string }{
		{"/calico/resources/v3/projectcalico.org/ippools/pool-10-244", // calico-etcd-observed.md §9.2
			`{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-10-244",` + id + `},` +
				`"spec":{"cidr":"10.244.0.0/16","vxlanMode":"Always","ipipMode":"Never","natOutgoing":true,"blockSize":26,` +
				`"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}`},
		{"/calico/ipam/v2/config", `{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":100}`},
		{"/calico/resources/v3/projectcalico.org/clusterinformations/default",
			`{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default",` + id + `},` +
				`"spec":{"clusterGUID":"0f5f8a3f0b1c4c49a1e4a2c6c1f0a9e1","calicoVersion":"v3.34.0","datastoreReady":true}}`},
		{"/calico/resources/v3/projectcalico.org/nodes/node1",
			`{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1",` + id + `,"labels":{"kubernetes.io/os":"windows"}},` +
				`"spec":{"orchRefs":[{"nodeName":"node1","orchestrator":"k8s"}]}}`},
	} {
		got, ok := s.Get(t, tc.key)
		got = identity.ReplaceAllString(got, id)
		if !ok || got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.key, got, tc.want)
		}
	}
}
