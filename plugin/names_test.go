package plugin

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The regular expressions the hand-written checks replace: each check must
// accept exactly the strings its expression matches.
var nameRules = []struct {
	name  string
	re    *regexp.Regexp
	check func(string) bool
}{
	{"DNS-1123 label", regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`), isDNS1123Label},
	{"DNS-1123 subdomain", regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`), isDNS1123Subdomain},
	{"GC container ID", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`), isGCContainerID},
	{"GUID", regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`), isGUID},
	{"network name", regexp.MustCompile(networkNamePattern), isNetworkName},
}

func TestNameChecksMatchTheirRegexps(t *testing.T) {
	cases := []string{
		"", "a", "0", "-", ".", "_", "a-", "-a", "a-b", "a--b", "A", "aB", "a.b", "a..b", ".a", "a.", "a.-b", "a-.b",
		"kube-system", "default", "my-pod-7d9f8c-abcde", "pod.v1.example", "Pod", "pod_1", "pod/1", "..", "a/../b",
		"a\n", "\na", "a\x00", "é", "a b", "Calico", "calico-net.1_x", "net\n",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a.", 100) + "a",
		"5c3a3ce4-9a2e-4e4c-b2b5-1d8a0a0c7e11", "5C3A3CE4-9A2E-4E4C-B2B5-1D8A0A0C7E11", "5C3A3CE4-9A2E-4E4C-B2B5-1D8A0A0C7E1",
		"5C3A3CE4-9A2E-4E4C-B2B5-1D8A0A0C7E111", "5C3A3CE49-A2E-4E4C-B2B5-1D8A0A0C7E11", "5C3A3CE4-9A2E-4E4C-B2B5-1D8A0A0C7E1G",
		"{5C3A3CE4-9A2E-4E4C-B2B5-1D8A0A0C7E11}", "5C3A3CE4-9A2E-4E4C-B2B5-1D8A0A0C7E11\n", "5C3A3CE4_9A2E-4E4C-B2B5-1D8A0A0C7E11",
	}
	// Every string of up to 5 characters over an alphabet that holds a
	// member of each class the expressions distinguish.
	alphabet := []string{"a", "Z", "0", "f", "-", ".", "_", "/", "\n"}
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		cases = append(cases, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 5)
	// GUIDs with one character changed or removed.
	r := rand.New(rand.NewPCG(1, 2))
	guid := []byte("5c3a3ce4-9a2e-4e4c-b2b5-1d8a0a0c7e11")
	for range 2000 {
		g := append([]byte(nil), guid...)
		i := r.IntN(len(g))
		if r.IntN(4) == 0 {
			g = append(g[:i], g[i+1:]...)
		} else {
			g[i] = "0aF-g.Z\x00"[r.IntN(8)]
		}
		cases = append(cases, string(g))
	}
	for _, rule := range nameRules {
		for _, s := range cases {
			if got, want := rule.check(s), rule.re.MatchString(s); got != want {
				t.Errorf("%s: check(%q) = %v, the regexp says %v", rule.name, s, got, want)
			}
		}
	}
}
