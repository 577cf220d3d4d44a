package k8s

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
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

// restConfig builds client-go's configuration the way Calico's CNI plugin
// does (k8s.NewK8sClient): the kubeconfig, with each non-empty netconf
// override on top.
func restConfig(cfg Config) (*rest.Config, error) {
	if mnt := os.Getenv(sandboxMountEnv); mnt != "" {
		return hostProcessConfig(mnt)
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
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, over).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, fmt.Errorf("no Kubernetes API configured: set kubernetes.kubeconfig (or KUBECONFIG) or kubernetes.k8s_api_root")
		}
		return nil, fmt.Errorf("loading the kubeconfig %q: %w", path, err)
	}
	return rc, nil
}

// hostProcessConfig is the in-cluster configuration of a HostProcess
// container, whose service account files sit under the sandbox mount point
// (libcalico-go's winutils.GetInClusterConfig).
func hostProcessConfig(mnt string) (*rest.Config, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, fmt.Errorf("%s is set (a HostProcess container) but KUBERNETES_SERVICE_HOST/PORT are not", sandboxMountEnv)
	}
	sa := filepath.Join(mnt, "var", "run", "secrets", "kubernetes.io", "serviceaccount")
	return &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		BearerTokenFile: filepath.Join(sa, "token"),
		TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(sa, "ca.crt")},
	}, nil
}
