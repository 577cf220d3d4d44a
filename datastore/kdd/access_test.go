package kdd

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

// TestAccessRefusedIntegration: an expired or foreign token, and a
// ClusterRole missing one of calico-cni-plugin's permissions, fail the
// operation with ErrUnauthorized and say what to fix.
func TestAccessRefusedIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	srv.PutPod(t, kastest.Pod{Namespace: "default", Name: "web-0", Node: goldenHost})
	// calico-cni-plugin's rules with one permission taken out.
	without := func(resource, verb string) []kastest.Rule {
		var rules []kastest.Rule
		for _, r := range kastest.CNIRules() {
			if !slices.Contains(r.Resources, resource) {
				rules = append(rules, r)
				continue
			}
			if others := slices.DeleteFunc(slices.Clone(r.Resources), func(x string) bool { return x == resource }); len(others) > 0 {
				rules = append(rules, kastest.Rule{APIGroups: r.APIGroups, Resources: others, Verbs: r.Verbs})
			}
			if verbs := slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return v == verb }); len(verbs) > 0 {
				rules = append(rules, kastest.Rule{APIGroups: r.APIGroups, Resources: []string{resource}, Verbs: verbs})
			}
		}
		return rules
	}
	put := func(s *Store) error {
		_, err := s.PutWorkloadEndpoint(testCtx(t), datastore.Versioned[datastore.WorkloadEndpoint]{Value: webEndpoint("a", "10.244.5.3/32")})
		return err
	}
	for _, tc := range []struct {
		name       string
		kubeconfig func() string
		op         func(s *Store) error
		want       []string
	}{
		{"token refused", func() string { return srv.WriteKubeconfig(t, "stale", "not-a-token") },
			func(s *Store) error { _, err := s.Read(testCtx(t), datastore.Query{Config: true}); return err },
			[]string{"401 Unauthorized", "token has expired or been revoked"}},
		{"no list on blockaffinities", func() string { return srv.Kubeconfig(t, "cni-no-list", without("blockaffinities", "list")) },
			func(s *Store) error {
				_, err := s.Read(testCtx(t), datastore.Query{Config: true, Affinities: goldenHost})
				return err
			},
			[]string{`permission to list blockaffinities.crd.projectcalico.org`, `calico-cni-plugin ClusterRole`, `"list" on "blockaffinities.crd.projectcalico.org"`}},
		{"no create on ipamhandles", func() string { return srv.Kubeconfig(t, "cni-no-create", without("ipamhandles", "create")) },
			func(s *Store) error { return s.Commit(testCtx(t), claim(goldenHost, windowsBlock(), goldenHandle)) },
			[]string{`"create" on "ipamhandles.crd.projectcalico.org"`}},
		{"no patch on pods/status", func() string { return srv.Kubeconfig(t, "cni-no-patch", without("pods/status", "patch")) },
			put, []string{`permission to patch pods/status in namespace "default"`, `"patch" on "pods/status"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op(storeFor(t, tc.kubeconfig()))
			if !errors.Is(err, datastore.ErrUnauthorized) {
				t.Fatalf("error %v, want ErrUnauthorized", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// The full role may do all of it.
	s := storeFor(t, srv.CNIKubeconfig(t))
	if _, err := s.Read(testCtx(t), datastore.Query{Config: true, Affinities: goldenHost}); err != nil {
		t.Errorf("Read with calico-cni-plugin's permissions: %v", err)
	}
	if err := s.Commit(testCtx(t), claim(goldenHost, windowsBlock(), goldenHandle)); err != nil {
		t.Errorf("Commit with calico-cni-plugin's permissions: %v", err)
	}
	if err := put(s); err != nil {
		t.Errorf("PutWorkloadEndpoint with calico-cni-plugin's permissions: %v", err)
	}
}
