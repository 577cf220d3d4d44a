package k8s

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calico-win/cni/internal/testdir"
)

// The kubeconfig loader and transport against client-go's (clientcmd and
// rest, what this package used before): for each kubeconfig of a corpus,
// with and without the netconf's overrides, both must resolve the same
// server, TLS material and credentials, or both fail; and, against a test
// server, both clients must connect or fail alike and send the same
// credentials (Authorization header, client certificate) and headers.

// clientcmdConfig is the configuration as this package built it with
// clientcmd (the reference).
func clientcmdConfig(cfg Config) (*rest.Config, error) {
	if mnt := os.Getenv(sandboxMountEnv); mnt != "" {
		host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
		sa := filepath.Join(mnt, "var", "run", "secrets", "kubernetes.io", "serviceaccount")
		return &rest.Config{Host: "https://" + net.JoinHostPort(host, port), BearerTokenFile: filepath.Join(sa, "token"),
			TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(sa, "ca.crt")}}, nil
	}
	path := cfg.Kubeconfig
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	over := &clientcmd.ConfigOverrides{}
	if root, _, _ := strings.Cut(cfg.APIRoot, "/api/"); root != "" {
		over.ClusterInfo.Server = strings.TrimSuffix(root, "/")
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&over.AuthInfo.Token, cfg.Token)
	set(&over.AuthInfo.ClientCertificate, cfg.ClientCertificate)
	set(&over.AuthInfo.ClientKey, cfg.ClientKey)
	set(&over.ClusterInfo.CertificateAuthority, cfg.CertificateAuthority)
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, over).ClientConfig()
}

// resolved is what a configuration says, for comparison.
type resolved struct {
	Host, Proxy                     string
	DisableCompression, Insecure    bool
	ServerName, CAFile              string
	CAData                          []byte
	CertFile, KeyFile               string
	CertData, KeyData               []byte
	Token, TokenFile                string
	Username, Password              string
	ImpersonateUser, ImpersonateUID string
	ImpersonateGroups               []string
	ExecCommand, ExecAPIVersion     string
	ExecArgs, ExecEnv               []string
	ExecInteractive                 string
	ExecProvideCluster              bool
	ExecClusterConfig               string
}

func proxyOf(f func(*http.Request) (*url.URL, error), host string) string {
	if f == nil {
		return ""
	}
	r, _ := http.NewRequest(http.MethodGet, host, nil)
	u, err := f(r)
	if err != nil || u == nil {
		return fmt.Sprint(err)
	}
	return u.String()
}

func fromREST(rc *rest.Config) resolved {
	r := resolved{Host: rc.Host, Proxy: proxyOf(rc.Proxy, rc.Host), DisableCompression: rc.DisableCompression,
		Insecure: rc.Insecure, ServerName: rc.ServerName, CAFile: rc.CAFile, CAData: rc.CAData,
		CertFile: rc.CertFile, KeyFile: rc.KeyFile, CertData: rc.CertData, KeyData: rc.KeyData,
		Token: rc.BearerToken, TokenFile: rc.BearerTokenFile, Username: rc.Username, Password: rc.Password,
		ImpersonateUser: rc.Impersonate.UserName, ImpersonateUID: rc.Impersonate.UID, ImpersonateGroups: rc.Impersonate.Groups}
	if e := rc.ExecProvider; e != nil {
		r.ExecCommand, r.ExecAPIVersion, r.ExecArgs = e.Command, e.APIVersion, e.Args
		r.ExecInteractive, r.ExecProvideCluster = string(e.InteractiveMode), e.ProvideClusterInfo
		for _, v := range e.Env {
			r.ExecEnv = append(r.ExecEnv, v.Name+"="+v.Value)
		}
		if e.Config != nil {
			b, _ := json.Marshal(e.Config)
			r.ExecClusterConfig = string(b)
		}
	}
	return r
}

func fromAPIConfig(ac *apiConfig) resolved {
	r := resolved{Host: ac.Host, DisableCompression: ac.DisableCompression,
		Insecure: ac.Insecure, ServerName: ac.ServerName, CAFile: ac.CAFile, CAData: ac.CAData,
		CertFile: ac.CertFile, KeyFile: ac.KeyFile, CertData: ac.CertData, KeyData: ac.KeyData,
		Token: ac.Token, TokenFile: ac.TokenFile, Username: ac.Username, Password: ac.Password,
		ImpersonateUser: ac.Impersonate.User, ImpersonateUID: ac.Impersonate.UID, ImpersonateGroups: ac.Impersonate.Groups}
	if ac.Proxy != nil {
		r.Proxy = proxyOf(http.ProxyURL(ac.Proxy), ac.Host)
	}
	if e := ac.Exec; e != nil {
		r.ExecCommand, r.ExecAPIVersion, r.ExecArgs = e.Command, e.APIVersion, e.Args
		r.ExecInteractive, r.ExecProvideCluster = e.InteractiveMode, e.ProvideClusterInfo
		for _, v := range e.Env {
			r.ExecEnv = append(r.ExecEnv, v.Name+"="+v.Value)
		}
		if e.clusterConfig != nil {
			var v any
			json.Unmarshal(e.clusterConfig, &v)
			b, _ := json.Marshal(v)
			r.ExecClusterConfig = string(b)
		}
	}
	return r
}

// seen is what the test server saw of a request.
type seen struct {
	Authorization, UserAgent, ClientCN string
	ImpersonateUser                    string
	ImpersonateGroups                  []string
}

// testPKI is the test server and the files a corpus refers to.
type testPKI struct {
	srv                    *httptest.Server
	dir                    string // certs/ and kc/ below
	caPEM, certPEM, keyPEM []byte
	otherCertPEM           []byte
	otherKeyPEM            []byte
	status                 atomic.Int32 // when not 0, the server answers every request with it
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: testdir.New(t)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code := p.status.Load(); code != 0 {
			http.Error(w, "refused", int(code))
			return
		}
		s := seen{Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"),
			ImpersonateUser: r.Header.Get("Impersonate-User"), ImpersonateGroups: r.Header.Values("Impersonate-Group")}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			s.ClientCN = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		json.NewEncoder(w).Encode(s)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.srv, p.caPEM = srv, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	p.certPEM, p.keyPEM = selfSigned(t, "cni-client")
	p.otherCertPEM, p.otherKeyPEM = selfSigned(t, "netconf-client")
	for name, data := range map[string][]byte{
		"certs/ca.crt": p.caPEM, "certs/client.crt": p.certPEM, "certs/client.key": p.keyPEM,
		"certs/other.crt": p.otherCertPEM, "certs/other.key": p.otherKeyPEM,
		"certs/token": []byte("file-token\n"), "certs/empty-token": nil, "certs/garbage": []byte("not PEM"),
		"sa/var/run/secrets/kubernetes.io/serviceaccount/token":  []byte("sa-token"),
		"sa/var/run/secrets/kubernetes.io/serviceaccount/ca.crt": p.caPEM,
	} {
		p.write(t, name, data)
	}
	return p
}

func (p *testPKI) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *testPKI) path(name string) string { return filepath.Join(p.dir, filepath.FromSlash(name)) }

// expand fills a kubeconfig template: $SERVER, $HOSTPORT, $CERTS (absolute
// directory of the files), $CA_DATA, $CERT_DATA, $KEY_DATA, $EXEC (the
// fake plugin).
func (p *testPKI) expand(s string) string {
	b64 := base64.StdEncoding.EncodeToString
	exe, _ := os.Executable()
	return strings.NewReplacer("$SERVER", p.srv.URL, "$HOSTPORT", strings.TrimPrefix(p.srv.URL, "https://"),
		"$CERTS", filepath.ToSlash(p.path("certs")), "$CA_DATA", b64(p.caPEM), "$CERT_DATA", b64(p.certPEM),
		"$KEY_DATA", b64(p.keyPEM), "$EXEC", filepath.ToSlash(exe)).Replace(s)
}

func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// kubeconfig is a one-context kubeconfig with cluster and user given as
// YAML flow mappings.
func oneContext(cluster, user string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: ` + cluster + `
users:
- name: u
  user: ` + user + `
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`
}

type diffCase struct {
	name       string
	kubeconfig string // template (expand); "" for none
	cfg        Config // overrides; Kubeconfig is set to the written file
	env        map[string]string
	wantErr    string // an error from both; this in ours
	// earlier: client-go takes the configuration and fails only on
	// connecting; ours refuses it at once (wantErr).
	earlier bool
	offline bool // the server is not the test server: compare the configuration only
	// wire is what the server must see from both (Authorization, client
	// CN); "" fields unchecked, "-" for none; connectFail: both fail to
	// connect (TLS).
	auth, cn    string
	connectFail bool
}

func diffCorpus() []diffCase {
	caData := `{server: "$SERVER", certificate-authority-data: "$CA_DATA"}`
	caFile := `{server: "$SERVER", certificate-authority: "../certs/ca.crt"}`
	exec := func(apiVersion, extra string) string {
		return `{exec: {command: "$EXEC", apiVersion: "` + apiVersion + `", ` + extra + `}}`
	}
	return []diffCase{
		{name: "token", kubeconfig: oneContext(caData, `{token: kc-token}`), auth: "Bearer kc-token", cn: "-"},
		{name: "tokenFile relative", kubeconfig: oneContext(caData, `{tokenFile: ../certs/token}`), auth: "Bearer file-token"},
		{name: "token and tokenFile: the file wins on the wire", kubeconfig: oneContext(caData, `{token: kc-token, tokenFile: ../certs/token}`),
			auth: "Bearer file-token"},
		{name: "tokenFile empty", kubeconfig: oneContext(caData, `{tokenFile: ../certs/empty-token}`), wantErr: "empty token"},
		{name: "tokenFile missing", kubeconfig: oneContext(caData, `{tokenFile: ../certs/absent}`), wantErr: "tokenFile"},
		{name: "token and absent tokenFile: the token", kubeconfig: oneContext(caData, `{token: kc-token, tokenFile: ../certs/absent}`),
			auth: "Bearer kc-token"},
		{name: "cert and key files, relative; CA file relative", kubeconfig: oneContext(caFile,
			`{client-certificate: ../certs/client.crt, client-key: ../certs/client.key}`), auth: "-", cn: "cni-client"},
		{name: "cert and key files, absolute", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority: "$CERTS/ca.crt"}`,
			`{client-certificate: "$CERTS/client.crt", client-key: "$CERTS/client.key"}`), cn: "cni-client"},
		{name: "cert and key data", kubeconfig: oneContext(caData, `{client-certificate-data: "$CERT_DATA", client-key-data: "$KEY_DATA"}`),
			cn: "cni-client"},
		{name: "cert and token", kubeconfig: oneContext(caData,
			`{token: t, client-certificate-data: "$CERT_DATA", client-key-data: "$KEY_DATA"}`), auth: "Bearer t", cn: "cni-client"},
		{name: "cert without key", kubeconfig: oneContext(caData, `{client-certificate-data: "$CERT_DATA"}`), wantErr: "client-key"},
		{name: "cert file missing", kubeconfig: oneContext(caData, `{client-certificate: ../certs/absent, client-key: ../certs/client.key}`),
			wantErr: "client-cert"},
		{name: "cert garbage", kubeconfig: oneContext(caData, `{client-certificate: ../certs/garbage, client-key: ../certs/garbage}`),
			wantErr: "garbage", earlier: true},
		{name: "CA file missing", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority: "../certs/absent"}`, `{token: t}`),
			wantErr: "certificate-authority"},
		{name: "CA garbage", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority: "../certs/garbage"}`, `{token: t}`),
			wantErr: "root certificates"},
		{name: "CA file and data", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority: "../certs/ca.crt", certificate-authority-data: "$CA_DATA"}`,
			`{token: t}`), wantErr: "both specified"},
		{name: "no CA: the system roots", kubeconfig: oneContext(`{server: "$SERVER"}`, `{token: t}`), connectFail: true},
		{name: "insecure", kubeconfig: oneContext(`{server: "$SERVER", insecure-skip-tls-verify: true}`, `{token: t}`), auth: "Bearer t"},
		{name: "insecure, YAML 1.1 yes", kubeconfig: oneContext(`{server: "$SERVER", insecure-skip-tls-verify: yes}`, `{token: t}`), auth: "Bearer t"},
		{name: "insecure with a CA", kubeconfig: oneContext(`{server: "$SERVER", insecure-skip-tls-verify: true, certificate-authority-data: "$CA_DATA"}`,
			`{token: t}`), wantErr: "insecure"},
		{name: "tls-server-name", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority-data: "$CA_DATA", tls-server-name: example.com}`,
			`{token: t}`), auth: "Bearer t"},
		{name: "tls-server-name wrong", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority-data: "$CA_DATA", tls-server-name: wrong.example}`,
			`{token: t}`), connectFail: true},
		{name: "server with a path and query", kubeconfig: oneContext(`{server: "$SERVER/prefix/?x=1#f", certificate-authority-data: "$CA_DATA"}`,
			`{token: t}`), auth: "Bearer t"},
		{name: "http server: no credentials", kubeconfig: oneContext(`{server: "http://127.0.0.1:1", certificate-authority-data: "$CA_DATA"}`,
			`{token: t}`), offline: true},
		{name: "host:port server: plain http, no credentials", kubeconfig: oneContext(`{server: "$HOSTPORT", certificate-authority-data: "$CA_DATA"}`,
			`{token: t}`), offline: true},
		{name: "proxy-url", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority-data: "$CA_DATA", proxy-url: "http://proxy.example:3128"}`,
			`{token: t}`), offline: true},
		{name: "proxy-url bad scheme", kubeconfig: oneContext(`{server: "$SERVER", proxy-url: "ftp://proxy.example"}`, `{token: t}`),
			wantErr: "proxy-url"},
		{name: "disable-compression", kubeconfig: oneContext(`{server: "$SERVER", certificate-authority-data: "$CA_DATA", disable-compression: true}`,
			`{token: t}`), auth: "Bearer t"},
		{name: "basic auth", kubeconfig: oneContext(caData, `{username: admin, password: secret}`), auth: "Basic YWRtaW46c2VjcmV0"},
		{name: "basic auth and token", kubeconfig: oneContext(caData, `{username: admin, password: secret, token: t}`), wantErr: "more than one"},
		{name: "basic auth and tokenFile", kubeconfig: oneContext(caData, `{username: admin, tokenFile: ../certs/token}`), wantErr: "not both"},
		{name: "impersonation", kubeconfig: oneContext(caData, `{token: t, as: someone, as-groups: [g1, g2]}`), auth: "Bearer t"},
		{name: "several contexts, current-context chooses", kubeconfig: `
clusters:
- {name: a, cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: "$CA_DATA"}}
- {name: b, cluster: {server: "$SERVER", certificate-authority: "../certs/ca.crt"}}
users:
- {name: a, user: {token: token-a}}
- {name: b, user: {client-certificate-data: "$CERT_DATA", client-key-data: "$KEY_DATA"}}
contexts:
- {name: a, context: {cluster: a, user: a}}
- {name: b, context: {cluster: b, user: b, namespace: kube-system}}
current-context: b
`, auth: "-", cn: "cni-client"},
		{name: "context naming an unknown user: no credentials", kubeconfig: strings.Replace(oneContext(caData, `{token: t}`),
			"{cluster: c, user: u}", "{cluster: c, user: nobody}", 1), auth: "-"},
		{name: "context naming an unknown cluster: empty", kubeconfig: strings.Replace(oneContext(caData, `{token: t}`),
			"{cluster: c, user: u}", "{cluster: nowhere, user: u}", 1), wantErr: "no Kubernetes API configured"},
		{name: "cluster without server", kubeconfig: oneContext(`{certificate-authority-data: "$CA_DATA"}`, `{token: t}`), wantErr: "no server"},
		{name: "no current-context", kubeconfig: strings.Replace(oneContext(caData, `{token: t}`), "current-context: ctx", "", 1),
			wantErr: "no Kubernetes API configured"},
		{name: "unknown current-context", kubeconfig: strings.Replace(oneContext(caData, `{token: t}`), "current-context: ctx", "current-context: other", 1),
			wantErr: "context was not found"},
		{name: "duplicate cluster names", kubeconfig: strings.Replace(oneContext(caData, `{token: t}`), "users:", "- {name: c, cluster: {server: x}}\nusers:", 1),
			wantErr: "duplicate"},
		{name: "JSON", kubeconfig: `{"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "c", "cluster": {"server": "$SERVER",
  "certificate-authority-data": "$CA_DATA"}}], "users": [{"name": "u", "user": {"token": "json-token"}}],
  "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}], "current-context": "x"}`, auth: "Bearer json-token"},
		{name: "block style with comments and unknown fields", kubeconfig: `# a comment
apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: c
  cluster:
    server: $SERVER
    certificate-authority-data: >-
      $CA_DATA
    extensions:
    - name: something
      extension: {a: 1}
users:
- name: u
  user:
    token: "block-token"
    unknown-field: 3
contexts:
- name: ctx
  context:
    cluster: c
    user: u
current-context: "ctx"
`, auth: "Bearer block-token"},
		{name: "bad YAML", kubeconfig: "clusters: [\n", wantErr: "error loading config file"},
		{name: "not a Config", kubeconfig: "apiVersion: v2\nkind: Config\n", wantErr: "apiVersion"},
		{name: "a number where a string goes", kubeconfig: oneContext(caData, `{token: 12345}`), wantErr: "token"},
		{name: "empty file", kubeconfig: " ", wantErr: "no Kubernetes API configured"},
		{name: "empty file, api root and token from the netconf", kubeconfig: " ",
			cfg: Config{APIRoot: "$SERVER/api/v1/", Token: "t", CertificateAuthority: "$CERTS/ca.crt"}, auth: "Bearer t"},
		{name: "auth-provider", kubeconfig: oneContext(caData, `{auth-provider: {name: gcp}}`), wantErr: "users[\"u\"].user.auth-provider (gcp) is not supported"},
		{name: "auth-provider and exec", kubeconfig: oneContext(caData, `{auth-provider: {name: gcp}, exec: {command: x, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}}`),
			wantErr: "authProvider cannot be provided"},

		// The netconf's overrides.
		{name: "override: api root (drops /api/v1/ and tls-server-name)", kubeconfig: oneContext(
			`{server: "https://10.0.0.1:6443", certificate-authority-data: "$CA_DATA", tls-server-name: wrong.example}`, `{token: t}`),
			cfg: Config{APIRoot: "$SERVER/api/v1/"}, auth: "Bearer t"},
		{name: "override: token", kubeconfig: oneContext(caData, `{token: t}`), cfg: Config{Token: "netconf-token"}, auth: "Bearer netconf-token"},
		{name: "override: token, the kubeconfig's tokenFile still wins", kubeconfig: oneContext(caData, `{tokenFile: ../certs/token}`),
			cfg: Config{Token: "netconf-token"}, auth: "Bearer file-token"},
		{name: "override: token on basic auth", kubeconfig: oneContext(caData, `{username: admin, password: secret}`),
			cfg: Config{Token: "netconf-token"}, wantErr: "more than one"},
		{name: "override: CA file (over insecure and CA data)", kubeconfig: oneContext(`{server: "$SERVER", insecure-skip-tls-verify: true}`, `{token: t}`),
			cfg: Config{CertificateAuthority: "$CERTS/ca.crt"}, auth: "Bearer t"},
		{name: "override: CA file missing", kubeconfig: oneContext(caData, `{token: t}`),
			cfg: Config{CertificateAuthority: "$CERTS/absent"}, wantErr: "certificate-authority"},
		{name: "override: cert and key files", kubeconfig: oneContext(caData, `{client-certificate: ../certs/client.crt, client-key: ../certs/client.key}`),
			cfg: Config{ClientCertificate: "$CERTS/other.crt", ClientKey: "$CERTS/other.key"}, cn: "netconf-client"},
		{name: "override: cert and key files on a token user", kubeconfig: oneContext(caData, `{token: t}`),
			cfg: Config{ClientCertificate: "$CERTS/other.crt", ClientKey: "$CERTS/other.key"}, auth: "Bearer t", cn: "netconf-client"},
		{name: "override: cert file on a kubeconfig with cert data", kubeconfig: oneContext(caData, `{client-certificate-data: "$CERT_DATA", client-key-data: "$KEY_DATA"}`),
			cfg: Config{ClientCertificate: "$CERTS/other.crt", ClientKey: "$CERTS/other.key"}, wantErr: "both specified"},
		{name: "override: all of them", kubeconfig: oneContext(`{server: "https://10.0.0.1:6443"}`, `{token: t}`),
			cfg: Config{APIRoot: "$SERVER", Token: "nt", CertificateAuthority: "$CERTS/ca.crt", ClientCertificate: "$CERTS/other.crt",
				ClientKey: "$CERTS/other.key"}, auth: "Bearer nt", cn: "netconf-client"},
		{name: "no kubeconfig: api root and token only", cfg: Config{APIRoot: "$SERVER", Token: "t"}, env: map[string]string{"KUBECONFIG": ""},
			connectFail: true},
		{name: "KUBECONFIG", kubeconfig: oneContext(caData, `{token: env-token}`), env: map[string]string{"KUBECONFIG": "$KC"},
			cfg: Config{Kubeconfig: "-"}, auth: "Bearer env-token"},
		{name: "kubeconfig missing", cfg: Config{Kubeconfig: "$CERTS/absent"}, wantErr: "absent"},
		{name: "HostProcess container", kubeconfig: oneContext(`{server: "https://10.0.0.1:6443"}`, `{token: t}`),
			env:  map[string]string{sandboxMountEnv: "$SA", "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "$PORT"},
			auth: "Bearer sa-token"},

		// Exec credential plugins: the test binary (execplugin_test.go).
		{name: "exec v1 token", kubeconfig: oneContext(caData, exec("client.authentication.k8s.io/v1",
			`interactiveMode: Never, args: [-test.run=none], env: [{name: FAKE_EXEC_PLUGIN, value: token}, {name: FAKE_EXEC_TOKEN, value: v1}]`)),
		},
		{name: "exec v1beta1 with the cluster's info", kubeconfig: oneContext(
			`{server: "$SERVER", certificate-authority-data: "$CA_DATA", extensions: [{name: client.authentication.k8s.io/exec, extension: {audience: x}}]}`,
			exec("client.authentication.k8s.io/v1beta1", `provideClusterInfo: true, env: [{name: FAKE_EXEC_PLUGIN, value: token}]`))},
		{name: "exec client certificate", kubeconfig: oneContext(caData, exec("client.authentication.k8s.io/v1",
			`interactiveMode: IfAvailable, env: [{name: FAKE_EXEC_PLUGIN, value: cert}, {name: FAKE_EXEC_CERT, value: "$CERTS/client.crt"}, {name: FAKE_EXEC_KEY, value: "$CERTS/client.key"}]`)),
			auth: "-", cn: "cni-client"},
		{name: "exec ignored beside a token", kubeconfig: oneContext(caData, `{token: t, exec: {command: "$EXEC", apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never, env: [{name: FAKE_EXEC_PLUGIN, value: fail}]}}`),
			auth: "Bearer t"},
		{name: "exec relative command", kubeconfig: oneContext(caData, exec("client.authentication.k8s.io/v1", `interactiveMode: Never`)),
			offline: true},
		{name: "exec v1 without interactiveMode", kubeconfig: oneContext(caData, `{exec: {command: x, apiVersion: client.authentication.k8s.io/v1}}`),
			wantErr: "interactiveMode must be specified"},
		{name: "exec without command", kubeconfig: oneContext(caData, `{exec: {apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}}`),
			wantErr: "command must be specified"},
		{name: "exec unknown apiVersion", kubeconfig: oneContext(caData, `{exec: {command: x, apiVersion: client.authentication.k8s.io/v2, interactiveMode: Never}}`),
			wantErr: "invalid apiVersion"},
	}
}

func TestKubeconfigAgainstClientcmd(t *testing.T) {
	p := newTestPKI(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.srv.URL, "https://"))
	t.Setenv("KUBECONFIG", "")
	t.Setenv(sandboxMountEnv, "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	for i, tc := range diffCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			kc := ""
			if tc.kubeconfig != "" {
				name := fmt.Sprintf("kc/%d.yaml", i)
				text := p.expand(tc.kubeconfig)
				if tc.name == "exec relative command" { // a command with a separator is taken from the kubeconfig's directory
					text = strings.Replace(text, filepath.ToSlash(mustExecutable(t)), "./bin/plugin", 1)
				}
				kc = p.write(t, name, []byte(text))
			}
			cfg := tc.cfg
			ex := strings.NewReplacer("$KC", kc, "$SA", p.path("sa"), "$PORT", port)
			for k, v := range tc.env {
				t.Setenv(k, ex.Replace(v))
			}
			switch cfg.Kubeconfig {
			case "":
				cfg.Kubeconfig = kc
			case "-":
				cfg.Kubeconfig = ""
			default:
				cfg.Kubeconfig = p.expand(cfg.Kubeconfig)
			}
			for _, f := range []*string{&cfg.APIRoot, &cfg.CertificateAuthority, &cfg.ClientCertificate, &cfg.ClientKey} {
				*f = p.expand(*f)
			}
			cfg.UserAgent = "diff-test"

			rc, refErr := clientcmdConfig(cfg)
			var ref *http.Client
			if refErr == nil {
				rc.UserAgent = cfg.UserAgent
				ref, refErr = rest.HTTPClientFor(rc)
			}
			ac, err := loadConfig(cfg)
			var ours *Client
			if err == nil {
				ours, err = newClient(ac, 5*time.Second, cfg.UserAgent)
			}
			if tc.wantErr != "" {
				if tc.earlier && refErr == nil {
					if _, err := probe(t, ref, p.srv.URL); err == nil {
						t.Errorf("client-go connects with it")
					}
				} else if refErr == nil {
					t.Errorf("clientcmd accepts it")
				}
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want one containing %q (clientcmd: %v)", err, tc.wantErr, refErr)
				}
				return
			}
			if refErr != nil || err != nil {
				t.Fatalf("clientcmd: %v; ours: %v", refErr, err)
			}
			defer ours.Close()
			if got, want := fromAPIConfig(ac), fromREST(rc); !reflect.DeepEqual(got, want) {
				t.Errorf("configuration differs\nours:     %+v\nclientcmd: %+v", got, want)
			}
			if base, _, err := rest.DefaultServerUrlFor(rc); err != nil || base.String() != ours.Server() {
				t.Errorf("server %s, clientcmd %v (%v)", ours.Server(), base, err)
			}
			if tc.offline {
				return
			}
			want, wantErr := probe(t, ref, ours.Server())
			got, gotErr := probe(t, ours.http, ours.Server())
			if (wantErr != nil) != (gotErr != nil) || (gotErr != nil) != tc.connectFail {
				t.Fatalf("request: ours %v, client-go %v (want failure: %v)", gotErr, wantErr, tc.connectFail)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the server saw\nfrom ours:     %+v\nfrom client-go: %+v", got, want)
			}
			for _, c := range []struct{ name, got, want string }{{"Authorization", got.Authorization, tc.auth}, {"client CN", got.ClientCN, tc.cn}} {
				if c.want == "-" {
					c.want = ""
				} else if c.want == "" {
					continue
				}
				if c.got != c.want {
					t.Errorf("%s %q, want %q", c.name, c.got, c.want)
				}
			}
		})
	}
}

func mustExecutable(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// probe sends a GET with hc and returns what the server saw.
func probe(t *testing.T, hc *http.Client, server string) (seen, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, server+"/probe", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return seen{}, err
	}
	defer resp.Body.Close()
	var s seen
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return s, nil
}
