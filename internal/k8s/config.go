package k8s

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config says how to reach the API server: Calico's netconf keys.
type Config struct {
	// Kubeconfig is kubernetes.kubeconfig; empty means $KUBECONFIG, then the
	// in-cluster service account.
	Kubeconfig string
	// APIRoot overrides the kubeconfig's server: kubernetes.k8s_api_root,
	// else policy.k8s_api_root. Anything from "/api/" on is dropped, since
	// older netconfs gave the full https://host:port/api/v1/.
	APIRoot string
	// The policy.k8s_* overrides of the kubeconfig's credentials.
	Token                string // k8s_auth_token
	ClientCertificate    string // k8s_client_certificate (file)
	ClientKey            string // k8s_client_key (file)
	CertificateAuthority string // k8s_certificate_authority (file)
	// Timeout bounds each request, on top of the caller's context (default 5s).
	Timeout time.Duration
	// UserAgent names the client in the API server's logs.
	UserAgent string
	// SessionCache, when set, is a file where the TLS session is kept for
	// the next process to resume (sessioncache.go).
	SessionCache string
}

// sandboxMountEnv is set inside a Windows HostProcess container, where
// Calico ignores the kubeconfig and uses the pod's service account, found
// under the sandbox mount point.
const sandboxMountEnv = "CONTAINER_SANDBOX_MOUNT_POINT"

// inClusterDir holds the service account of a pod (rest.InClusterConfig);
// a variable for tests.
var inClusterDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// errEmptyConfig: neither a kubeconfig nor the netconf names a server.
var errEmptyConfig = errors.New("no Kubernetes API configured: set kubernetes.kubeconfig (or KUBECONFIG) or kubernetes.k8s_api_root")

// overrides are the netconf keys that override the kubeconfig
// (clientcmd.ConfigOverrides as Calico fills them).
type overrides struct {
	Server, CertificateAuthority, Token, ClientCertificate, ClientKey string
}

// loadConfig resolves cfg the way Calico's CNI plugin does
// (k8s.NewK8sClient with clientcmd's deferred loading): the kubeconfig, with
// each non-empty netconf override on top; the pod's service account when
// neither names a server (in-cluster) or in a HostProcess container.
func loadConfig(cfg Config) (*apiConfig, error) {
	if mnt := os.Getenv(sandboxMountEnv); mnt != "" {
		return hostProcessConfig(mnt)
	}
	path := cfg.Kubeconfig
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	over := overrides{Token: cfg.Token, ClientCertificate: cfg.ClientCertificate, ClientKey: cfg.ClientKey,
		CertificateAuthority: cfg.CertificateAuthority}
	if root, _, _ := strings.Cut(cfg.APIRoot, "/api/"); root != "" {
		over.Server = strings.TrimSuffix(root, "/")
	}
	kc := &kubeconfig{}
	if path != "" {
		var err error
		if kc, err = loadKubeconfig(path); err != nil {
			return nil, fmt.Errorf("loading the kubeconfig %q: %w", path, err)
		}
	}
	ac, err := kc.resolve(over)
	if errors.Is(err, errEmptyConfig) && inClusterPossible() {
		return inClusterConfig(over)
	}
	if err != nil && !errors.Is(err, errEmptyConfig) {
		return nil, fmt.Errorf("loading the kubeconfig %q: %w", path, err)
	}
	return ac, err
}

// inClusterPossible: clientcmd falls back to the pod's service account when
// the kubeconfig names no server, if these are there.
func inClusterPossible() bool {
	fi, err := os.Stat(filepath.Join(inClusterDir, "token"))
	return os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" &&
		err == nil && !fi.IsDir()
}

// inClusterConfig is rest.InClusterConfig with clientcmd's overrides of the
// server, token and CA (not of the client certificate).
func inClusterConfig(over overrides) (*apiConfig, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	tokenFile, caFile := filepath.Join(inClusterDir, "token"), filepath.Join(inClusterDir, "ca.crt")
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, fmt.Errorf("the pod's service account: %w", err)
	}
	ac := &apiConfig{Host: "https://" + net.JoinHostPort(host, port), Token: string(token), TokenFile: tokenFile}
	if data, err := os.ReadFile(caFile); err == nil && len(parseCerts(data)) > 0 {
		ac.CAFile = caFile // else ignored, as client-go does (it logs it)
	}
	if over.Server != "" {
		ac.Host = over.Server
	}
	if over.Token != "" {
		ac.Token, ac.TokenFile = over.Token, ""
	}
	if over.CertificateAuthority != "" {
		ac.CAFile = over.CertificateAuthority
	}
	return ac, nil
}

// hostProcessConfig is the in-cluster configuration of a HostProcess
// container, whose service account files sit under the sandbox mount point
// (libcalico-go's winutils.GetInClusterConfig).
func hostProcessConfig(mnt string) (*apiConfig, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, fmt.Errorf("%s is set (a HostProcess container) but KUBERNETES_SERVICE_HOST/PORT are not", sandboxMountEnv)
	}
	sa := filepath.Join(mnt, "var", "run", "secrets", "kubernetes.io", "serviceaccount")
	return &apiConfig{
		Host:      "https://" + net.JoinHostPort(host, port),
		TokenFile: filepath.Join(sa, "token"),
		CAFile:    filepath.Join(sa, "ca.crt"),
	}, nil
}
