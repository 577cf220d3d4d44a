package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/calico-win/cni"

// rule: the packages Pkgs (relative to the module; "x/..." is x and every
// package below it) must not depend, directly or through other packages,
// on anything in Not (same syntax; paths outside the module are written in
// full). Why names the package doc that states it.
type rule struct {
	Pkgs, Not []string
	Why       string
}

var rules = []rule{
	{[]string{"datastore"}, []string{"ipam", "plugin", "dataplane", "hns/...", "datastore/etcd", "datastore/kdd"},
		"datastore: the model imports no backend, ipam, plugin or hns"},
	{[]string{"datastore/etcd"}, []string{"ipam", "plugin", "dataplane", "hns/...", "datastore/kdd",
		"go.etcd.io/etcd/client/v3/...", "google.golang.org/grpc/..."},
		"datastore/etcd: no ipam, plugin, etcd client or gRPC"},
	{[]string{"datastore/kdd"}, []string{"ipam", "plugin", "dataplane", "hns/...", "datastore/etcd"},
		"datastore/kdd: no ipam, plugin or other backend"},
	{[]string{"datastore/storetest"}, []string{"datastore/etcd", "datastore/kdd", "ipam", "plugin"},
		"storetest: the contract imports no backend, ipam or plugin"},
	{[]string{"ipam"}, []string{"plugin", "dataplane", "hns/...", "datastore/etcd", "datastore/kdd"},
		"ipam: no plugin, hns or datastore backend"},
	{[]string{"dataplane"}, []string{"plugin", "ipam", "datastore/..."},
		"dataplane: no plugin, ipam or datastore package"},
	{[]string{"hns/..."}, []string{"plugin", "ipam", "dataplane", "datastore/..."},
		"hns: knows nothing of Calico"},
	{[]string{"hns", "hns/sim", "hns/hnstest"}, []string{"github.com/Microsoft/hcsshim/..."},
		"hns: only the hcn adapter uses hcsshim"},
	{[]string{"hns/hnstest"}, []string{"hns/sim", "hns/hcn"},
		"hnstest: the contract imports neither implementation"},
	{[]string{"hostnet"}, []string{"hns/...", "dataplane", "plugin", "ipam", "datastore/..."},
		"hostnet: the host's IP stack, nothing of HNS or Calico"},
	{[]string{"cmd/hnsctl"}, []string{"plugin", "ipam", "dataplane", "datastore/..."},
		"hnsctl: talks to HNS only"},
	{[]string{"internal/k8s"}, []string{"datastore/etcd", "datastore/kdd", "ipam", "plugin",
		"k8s.io/...", "sigs.k8s.io/..."},
		"internal/k8s: its own kubeconfig loading and HTTP client, no Kubernetes library, no backend"},
	{[]string{"internal/etcdtest"}, []string{"datastore/etcd", "ipam", "plugin"},
		"etcdtest: shares no code with the backend it checks"},
	{[]string{"internal/kastest"}, []string{"internal/k8s", "datastore/kdd", "ipam", "plugin"},
		"kastest: shares no code with the client it checks"},
	{[]string{"internal/flock", "internal/testctx", "internal/testdir", "internal/statedir"}, []string{"..."},
		"flock, testctx, testdir and statedir know nothing of the module"},
	{[]string{"..."}, []string{"plugin"},
		"plugin: nothing but the commands imports it"},
}

// exempt are the packages a rule on "..." does not cover: plugin and its commands.
var exempt = []string{"plugin", "cmd/calico", "cmd/calico-ipam"}

type pkg struct {
	ImportPath string
	Deps       []string
}

// graph is the module's packages with their dependencies for goos.
func graph(t *testing.T, goos string) []pkg {
	t.Helper()
	out := goList(t, goos, "-json=ImportPath,Deps", module+"/...")
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// goList runs `go list args...` for goos (amd64, without cgo) and returns
// its output.
func goList(t *testing.T, goos string, args ...string) []byte {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test runs `go list`: %v", err)
	}
	cmd := exec.Command(gobin, append([]string{"list"}, args...)...)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s (GOOS=%s): %v\n%s", strings.Join(args, " "), goos, err, stderr.String())
	}
	return out
}

// matches reports whether import path p is in pattern (module-relative
// unless it has a dot in its first element).
func matches(pattern, p string) bool {
	full := pattern
	if first, _, _ := strings.Cut(pattern, "/"); !strings.Contains(first, ".") && pattern != "..." {
		full = module + "/" + pattern
	}
	switch {
	case pattern == "...":
		return p == module || strings.HasPrefix(p, module+"/")
	case strings.HasSuffix(full, "/..."):
		base := strings.TrimSuffix(full, "/...")
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == full
}

func violations(pkgs []pkg) []string {
	var bad []string
	for _, r := range rules {
		for _, p := range pkgs {
			if !slices.ContainsFunc(r.Pkgs, func(pat string) bool { return matches(pat, p.ImportPath) }) {
				continue
			}
			if slices.Contains(r.Pkgs, "...") && slices.ContainsFunc(exempt, func(e string) bool { return matches(e, p.ImportPath) }) {
				continue
			}
			for _, d := range p.Deps {
				if slices.ContainsFunc(r.Not, func(pat string) bool { return matches(pat, d) }) {
					bad = append(bad, strings.TrimPrefix(p.ImportPath, module+"/")+" depends on "+d+" ("+r.Why+")")
				}
			}
		}
	}
	return bad
}

func TestImportRules(t *testing.T) {
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			for _, v := range violations(graph(t, goos)) {
				t.Error(v)
			}
		})
	}
}

// The checker itself: a graph that breaks rules is reported.
func TestViolationsAreFound(t *testing.T) {
	pkgs := []pkg{
		{module + "/ipam", []string{module + "/datastore", module + "/datastore/etcd"}},
		{module + "/hns/sim", []string{module + "/hns", "github.com/Microsoft/hcsshim/hcn"}},
		{module + "/internal/flock", []string{"context", module + "/internal/testctx"}},
		{module + "/cmd/calico", []string{module + "/plugin"}},
		{module + "/dataplane", []string{module + "/hns", module + "/plugin"}},
	}
	got := violations(pkgs)
	for _, want := range []string{
		"ipam depends on " + module + "/datastore/etcd",
		"hns/sim depends on github.com/Microsoft/hcsshim/hcn",
		"internal/flock depends on " + module + "/internal/testctx",
		"dataplane depends on " + module + "/plugin (dataplane:",
		"dataplane depends on " + module + "/plugin (plugin:",
	} {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, want) }) {
			t.Errorf("no violation %q in %q", want, got)
		}
	}
	if len(got) != 5 {
		t.Errorf("violations = %q, want 5 (cmd/calico may import plugin)", got)
	}
}
