package kastest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Rule is one rule of an RBAC ClusterRole.
type Rule struct {
	APIGroups []string `json:"apiGroups"`
	Resources []string `json:"resources"`
	Verbs     []string `json:"verbs"`
}

// CNIRules are the rules of Calico's calico-cni-plugin ClusterRole
// (charts/calico/templates/calico-node-rbac.yaml): what the CNI plugin may do.
// Like Calico's, they grant the IPAM resources in both of Calico's API
// groups, so one role serves a cluster on either.
func CNIRules() []Rule {
	return []Rule{
		{APIGroups: []string{""}, Resources: []string{"pods", "nodes", "namespaces"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch"}},
		{
			APIGroups: []string{"projectcalico.org", "crd.projectcalico.org"},
			Resources: []string{"blockaffinities", "ipamblocks", "ipamhandles", "clusterinformations", "ippools",
				"ipreservations", "ipamconfigurations", "ipamconfigs"},
			Verbs: []string{"get", "list", "create", "update", "delete"},
		},
		{APIGroups: []string{"kubevirt.io"}, Resources: []string{"virtualmachineinstances", "virtualmachines"}, Verbs: []string{"get"}},
	}
}

// CNIRole is the name of Calico's ClusterRole for the CNI plugin, and of the
// ServiceAccount CNIKubeconfig binds it to.
const CNIRole = "calico-cni-plugin"

// CNIKubeconfig returns a kubeconfig whose token is that of a ServiceAccount
// bound to a copy of Calico's calico-cni-plugin ClusterRole: the identity a
// real Windows node's CNI runs with. It is made once per server.
func (s *Server) CNIKubeconfig(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cni == "" {
		s.cni = s.Kubeconfig(t, CNIRole, CNIRules())
	}
	return s.cni
}

// Kubeconfig creates (or replaces) ClusterRole name with rules, a
// ServiceAccount kube-system/name bound to it, and returns a kubeconfig file
// with a token for that account (TokenRequest API, one hour), once the
// server's authorizer has seen the binding.
func (s *Server) Kubeconfig(t testing.TB, name string, rules []Rule) string {
	t.Helper()
	s.put(t, "/apis/rbac.authorization.k8s.io/v1/clusterroles", name, map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{"name": name}, "rules": rules,
	})
	s.put(t, "/api/v1/namespaces/kube-system/serviceaccounts", name, map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": name, "namespace": "kube-system"},
	})
	s.put(t, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", name, map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": name},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": name, "namespace": "kube-system"}},
	})
	body := s.Admin(t, http.MethodPost, "/api/v1/namespaces/kube-system/serviceaccounts/"+name+"/token", map[string]any{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
		"spec": map[string]any{"expirationSeconds": 3600},
	})
	var tr struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.Status.Token == "" {
		t.Fatalf("TokenRequest for %s: %v %s", name, err, body)
	}
	if len(rules) > 0 && len(rules[0].Resources) > 0 {
		s.waitAllowed(t, "system:serviceaccount:kube-system:"+name, rules[0])
	}
	return s.WriteKubeconfig(t, name, tr.Status.Token)
}

// AdminKubeconfig returns a kubeconfig with the administrator's token
// (system:masters), for what the CNI identity may not do.
func (s *Server) AdminKubeconfig(t testing.TB) string {
	t.Helper()
	return s.WriteKubeconfig(t, "admin", s.adminToken)
}

// WriteKubeconfig writes a kubeconfig for this server with token (which may
// be anything, to test refusals) and returns its path.
func (s *Server) WriteKubeconfig(t testing.TB, name, token string) string {
	t.Helper()
	return s.writeKubeconfig(t, name, "token: "+token)
}

// writeKubeconfig writes a kubeconfig for this server in which user name
// authenticates with the user fields given (one "key: value" per line),
// and returns its path.
func (s *Server) writeKubeconfig(t testing.TB, name string, user ...string) string {
	t.Helper()
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kastest
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    %s
contexts:
- name: kastest
  context: {cluster: kastest, user: %s}
current-context: kastest
`, s.url, base64.StdEncoding.EncodeToString(s.pki.caPEM), name, strings.Join(user, "\n    "), name)
	path := filepath.Join(s.dir, "kubeconfig-"+name+"-"+fmt.Sprint(time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// put creates the object at collection/name, or replaces it.
func (s *Server) put(t testing.TB, collection, name string, obj map[string]any) {
	t.Helper()
	code, body, err := s.do(http.MethodPost, collection, obj, "")
	if err == nil && code == http.StatusConflict {
		var cur struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(s.Admin(t, http.MethodGet, collection+"/"+name, nil), &cur)
		obj["metadata"].(map[string]any)["resourceVersion"] = cur.Metadata.ResourceVersion
		code, body, err = s.do(http.MethodPut, collection+"/"+name, obj, "")
	}
	if err != nil || code >= 300 {
		t.Fatalf("writing %s/%s: %d %s %v", collection, name, code, body, err)
	}
}

// waitAllowed waits until the authorizer lets user do rule's first verb on
// its first resource: RBAC objects reach the authorizer's cache a moment
// after they are written.
func (s *Server) waitAllowed(t testing.TB, user string, r Rule) {
	t.Helper()
	res, sub, _ := strings.Cut(r.Resources[0], "/")
	attrs := map[string]any{"verb": r.Verbs[0], "resource": res, "subresource": sub, "group": r.APIGroups[0], "namespace": "default"}
	review := map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
		"spec": map[string]any{"user": user, "groups": []string{"system:serviceaccounts", "system:authenticated"}, "resourceAttributes": attrs}}
	err := poll(10*time.Second, 20*time.Millisecond, func() (bool, error) {
		var sar struct {
			Status struct {
				Allowed bool `json:"allowed"`
			} `json:"status"`
		}
		err := json.Unmarshal(s.Admin(t, http.MethodPost, "/apis/authorization.k8s.io/v1/subjectaccessreviews", review), &sar)
		return sar.Status.Allowed, err
	})
	if err != nil {
		t.Fatalf("%s was never allowed to %v: %v", user, attrs, err)
	}
}
