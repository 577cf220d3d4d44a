package layering

import (
	"slices"
	"strings"
	"testing"
)

// The plugin binaries link no Kubernetes library: every CNI call is a new
// process, and the package init of client-go and apimachinery (with
// json-iterator, reflect2, go-spew, gogo/protobuf, cbor ...) cost each one
// about a millisecond. internal/k8s reads kubeconfigs and talks to the API
// server itself (its doc); tests may still use client-go.

// commands are the binaries kubelet runs for each CNI call.
var commands = []string{"cmd/calico", "cmd/calico-ipam"}

// kubernetesPackages are the packages in deps that belong to the
// Kubernetes project.
func kubernetesPackages(deps []string) []string {
	var bad []string
	for _, d := range deps {
		if strings.HasPrefix(d, "k8s.io/") || strings.HasPrefix(d, "sigs.k8s.io/") {
			bad = append(bad, d)
		}
	}
	return bad
}

func TestCommandsLinkNoKubernetesPackage(t *testing.T) {
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			args := []string{"-deps"}
			for _, c := range commands {
				args = append(args, module+"/"+c)
			}
			deps := strings.Fields(string(goList(t, goos, args...)))
			if !slices.Contains(deps, module+"/internal/k8s") {
				t.Fatalf("go list -deps %v does not list internal/k8s: is this the module's layout?", commands)
			}
			if bad := kubernetesPackages(deps); len(bad) > 0 {
				t.Errorf("%v link %d Kubernetes packages, e.g. %q (see internal/k8s's doc)", commands, len(bad), bad[:min(len(bad), 5)])
			}
		})
	}
}

// The checker itself.
func TestKubernetesPackagesAreFound(t *testing.T) {
	got := kubernetesPackages([]string{"net/http", "k8s.io/client-go/rest", "go.yaml.in/yaml/v2",
		"sigs.k8s.io/yaml", module + "/internal/k8s", "github.com/example/k8s.io"})
	if want := []string{"k8s.io/client-go/rest", "sigs.k8s.io/yaml"}; !slices.Equal(got, want) {
		t.Errorf("kubernetesPackages = %q, want %q", got, want)
	}
}
