package k8s

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/calico-win/cni/internal/testdir"
)

// files creates empty files (clientcmd checks that the ones it is given can
// be read) and returns their paths.
func files(t *testing.T, names ...string) []string {
	t.Helper()
	dir := testdir.New(t)
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func writeKubeconfig(t *testing.T, server, ca string) string {
	t.Helper()
	path := filepath.Join(testdir.New(t), "kubeconfig")
	kc := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: '` + server + `', certificate-authority: '` + ca + `'}
users:
- name: u
  user: {token: kubeconfig-token}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigOverrides: the netconf keys override the kubeconfig as in
// Calico's k8s.NewK8sClient.
func TestConfigOverrides(t *testing.T) {
	f := files(t, "kc-ca.crt", "ca.crt", "c.crt", "c.key")
	kcCA, ca, cert, key := f[0], f[1], f[2], f[3]
	kc := writeKubeconfig(t, "https://10.0.0.1:6443", kcCA)
	for _, tc := range []struct {
		name          string
		cfg           Config
		env           map[string]string
		host, token   string
		ca, cert, key string
	}{
		{name: "kubeconfig alone", cfg: Config{Kubeconfig: kc},
			host: "https://10.0.0.1:6443", token: "kubeconfig-token", ca: kcCA},
		{name: "KUBECONFIG when the netconf has none", cfg: Config{}, env: map[string]string{"KUBECONFIG": kc},
			host: "https://10.0.0.1:6443", token: "kubeconfig-token", ca: kcCA},
		{name: "api root with the old /api/v1/ suffix", cfg: Config{Kubeconfig: kc, APIRoot: "https://10.0.0.2:443/api/v1/"},
			host: "https://10.0.0.2:443", token: "kubeconfig-token", ca: kcCA},
		{name: "credentials from the netconf", cfg: Config{Kubeconfig: kc, Token: "netconf-token",
			ClientCertificate: cert, ClientKey: key, CertificateAuthority: ca},
			host: "https://10.0.0.1:6443", token: "netconf-token", ca: ca, cert: cert, key: key},
		{name: "no kubeconfig at all, api root and token only", cfg: Config{APIRoot: "https://10.0.0.3:6443", Token: "t"},
			env: map[string]string{"KUBECONFIG": ""}, host: "https://10.0.0.3:6443", token: "t"},
		{name: "HostProcess container: the pod's service account", cfg: Config{Kubeconfig: kc},
			env:  map[string]string{sandboxMountEnv: `C:\hpc`, "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"},
			host: "https://10.96.0.1:443", ca: filepath.Join(`C:\hpc`, "var", "run", "secrets", "kubernetes.io", "serviceaccount", "ca.crt")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ac, err := loadConfig(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if ac.Host != tc.host || ac.Token != tc.token || ac.CAFile != tc.ca || ac.CertFile != tc.cert || ac.KeyFile != tc.key {
				t.Errorf("got host %q token %q ca %q cert %q key %q\nwant host %q token %q ca %q cert %q key %q",
					ac.Host, ac.Token, ac.CAFile, ac.CertFile, ac.KeyFile, tc.host, tc.token, tc.ca, tc.cert, tc.key)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"nothing configured", Config{}, "no Kubernetes API configured"},
		{"kubeconfig missing", Config{Kubeconfig: filepath.Join(testdir.New(t), "absent")}, "absent"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestInClusterConfig: with no server named anywhere, the pod's service
// account, as clientcmd falls back to it (rest.InClusterConfig), with the
// server, token and CA overrides; a CA file that holds no certificate is
// left out, as client-go does.
func TestInClusterConfig(t *testing.T) {
	dir := testdir.New(t)
	old := inClusterDir
	inClusterDir = dir
	t.Cleanup(func() { inClusterDir = old })
	caPEM, _ := selfSigned(t, "ca")
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := loadConfig(Config{}); err == nil || !strings.Contains(err.Error(), "no Kubernetes API configured") {
		t.Fatalf("without a token file: %v, want the empty-config error", err)
	}
	write("token", []byte("sa-token\n"))
	write("ca.crt", caPEM)
	write("other-ca.pem", caPEM)
	tokenFile, caFile, otherCA := filepath.Join(dir, "token"), filepath.Join(dir, "ca.crt"), filepath.Join(dir, "other-ca.pem")
	for _, tc := range []struct {
		name string
		cfg  Config
		want apiConfig
	}{
		{"service account", Config{}, apiConfig{Host: "https://10.96.0.1:443", Token: "sa-token\n", TokenFile: tokenFile, CAFile: caFile}},
		{"overrides", Config{APIRoot: "https://10.0.0.1:6443/api/v1/", Token: "t", CertificateAuthority: otherCA},
			apiConfig{Host: "https://10.0.0.1:6443", Token: "t", CAFile: otherCA}},
	} {
		ac, err := loadConfig(tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := fromAPIConfig(ac); !reflect.DeepEqual(got, fromAPIConfig(&tc.want)) {
			t.Errorf("%s: %+v\nwant %+v", tc.name, got, fromAPIConfig(&tc.want))
		}
	}
	write("ca.crt", []byte("not PEM"))
	if ac, err := loadConfig(Config{}); err != nil || ac.CAFile != "" {
		t.Errorf("a CA file without certificate: %+v, %v; want it left out", ac, err)
	}
}
