package k8s

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// apiConfig is how to reach and authenticate to the API server: the fields
// of client-go's rest.Config this client uses, filled as clientcmd fills
// them.
type apiConfig struct {
	Host               string   // the server: a URL, or host:port (then plain HTTP)
	Proxy              *url.URL // the cluster's proxy-url; nil: from the environment
	DisableCompression bool

	Insecure   bool
	ServerName string
	CAFile     string
	CAData     []byte

	CertFile, KeyFile string
	CertData, KeyData []byte

	// Token is sent as a bearer token; TokenFile, when set, is read for it
	// instead whenever it can be (client-go's precedence).
	Token, TokenFile   string
	Username, Password string
	Impersonate        impersonation
	Exec               *execConfig

	// dial replaces the dialer (tests).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

type impersonation struct {
	User, UID string
	Groups    []string
}

// The kubeconfig extension a cluster passes to exec plugins.
const execExtension = "client.authentication.k8s.io/exec"

// errEmptyCluster is clientcmd's "cluster has no server defined": alone, it
// means the configuration is empty.
var errEmptyCluster = errors.New("cluster has no server defined")

// resolve is the configuration kc's current context selects, with over on
// top: clientcmd's DirectClientConfig.ClientConfig. It is errEmptyConfig
// when nothing names a server.
func (kc *kubeconfig) resolve(over overrides) (*apiConfig, error) {
	ctxName := kc.CurrentContext
	ctx, ctxFound := kc.context(ctxName)
	cl, clFound := kc.cluster(ctx.Cluster)
	u, _ := kc.user(ctx.User)
	if over.Server != "" {
		cl.Server, cl.TLSServerName = over.Server, ""
	}
	if over.CertificateAuthority != "" {
		cl.CertificateAuthority, cl.CertificateAuthorityData, cl.InsecureSkipTLSVerify = over.CertificateAuthority, nil, false
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&u.Token, over.Token)
	set(&u.ClientCertificate, over.ClientCertificate)
	set(&u.ClientKey, over.ClientKey)

	var errs []error
	if ctxName != "" && !ctxFound {
		errs = append(errs, fmt.Errorf("context was not found for specified context: %s", ctxName))
	}
	errs = append(errs, validateUser(ctx.User, u)...)
	errs = append(errs, validateCluster(ctx.Cluster, cl, clFound || over.Server != "" || over.CertificateAuthority != "")...)
	if len(errs) == 1 && errs[0] == errEmptyCluster {
		return nil, errEmptyConfig
	}
	if len(errs) == 1 {
		return nil, fmt.Errorf("invalid configuration: %w", errs[0])
	}
	if len(errs) > 1 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("invalid configuration: [%s]", strings.Join(msgs, ", "))
	}
	if u.AuthProvider != nil {
		return nil, fmt.Errorf("users[%q].user.auth-provider (%s) is not supported: use an exec credential plugin (users[].user.exec)",
			ctx.User, u.AuthProvider.Name)
	}
	if len(u.ImpersonateUserExtra) > 0 {
		return nil, fmt.Errorf("users[%q].user.as-user-extra is not supported", ctx.User)
	}

	ac := &apiConfig{Host: cl.Server, DisableCompression: cl.DisableCompression}
	if cl.ProxyURL != "" {
		ac.Proxy, _ = parseProxyURL(cl.ProxyURL) // validated above
	}
	if hu, err := url.ParseRequestURI(ac.Host); err == nil && hu.Opaque == "" && len(hu.Path) > 1 {
		hu.RawQuery, hu.Fragment = "", ""
		ac.Host = hu.String()
	}
	if u.Impersonate != "" {
		ac.Impersonate = impersonation{User: u.Impersonate, UID: u.ImpersonateUID, Groups: u.ImpersonateGroups}
	}
	// clientcmd gives no credentials, and no TLS settings, to a server it
	// would not talk TLS to.
	if base, err := serverURL(&apiConfig{Host: ac.Host}); err != nil || base.Scheme != "https" {
		return ac, nil
	}
	switch {
	case u.Token != "":
		ac.Token, ac.TokenFile = u.Token, u.TokenFile
	case u.TokenFile != "":
		b, err := os.ReadFile(u.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("users[%q].user.tokenFile: %w", ctx.User, err)
		}
		ac.Token, ac.TokenFile = string(b), u.TokenFile
	}
	if u.ClientCertificate != "" || len(u.ClientCertificateData) > 0 {
		ac.CertFile, ac.CertData, ac.KeyFile, ac.KeyData = u.ClientCertificate, u.ClientCertificateData, u.ClientKey, u.ClientKeyData
	}
	if u.Username != "" || u.Password != "" {
		ac.Username, ac.Password = u.Username, u.Password
	}
	if u.Exec != nil {
		e := *u.Exec
		for _, x := range cl.Extensions {
			if x.Name == execExtension {
				e.clusterConfig = x.Extension
			}
		}
		ac.Exec = &e
	}
	ac.CAFile, ac.CAData, ac.Insecure, ac.ServerName = cl.CertificateAuthority, cl.CertificateAuthorityData, cl.InsecureSkipTLSVerify, cl.TLSServerName
	return ac, nil
}

// validateCluster is clientcmd's validateClusterInfo; named says the cluster
// is in the kubeconfig or overridden (else it is empty).
func validateCluster(name string, cl kubeCluster, named bool) []error {
	if !named {
		return []error{errEmptyCluster}
	}
	var errs []error
	if cl.Server == "" {
		if name == "" {
			errs = append(errs, errors.New("default cluster has no server defined"))
		} else {
			errs = append(errs, fmt.Errorf("no server found for cluster %q", name))
		}
	}
	if cl.ProxyURL != "" {
		if _, err := parseProxyURL(cl.ProxyURL); err != nil {
			errs = append(errs, fmt.Errorf("invalid 'proxy-url' %q for cluster %q: %w", cl.ProxyURL, name, err))
		}
	}
	if cl.CertificateAuthority != "" && len(cl.CertificateAuthorityData) > 0 {
		errs = append(errs, fmt.Errorf("certificate-authority-data and certificate-authority are both specified for %v", name))
	}
	if cl.CertificateAuthority != "" {
		if err := readable(cl.CertificateAuthority); err != nil {
			errs = append(errs, fmt.Errorf("unable to read certificate-authority %v for %v due to %w", cl.CertificateAuthority, name, err))
		}
	}
	return errs
}

// validateUser is clientcmd's validateAuthInfo.
func validateUser(name string, u kubeUser) []error {
	var errs []error
	if u.Token != "" && (u.Username != "" || u.Password != "") {
		errs = append(errs, fmt.Errorf("more than one authentication method found for %v; found [token basicAuth], only one is allowed", name))
	}
	if u.ClientCertificate != "" || len(u.ClientCertificateData) > 0 {
		if u.ClientCertificate != "" && len(u.ClientCertificateData) > 0 {
			errs = append(errs, fmt.Errorf("client-cert-data and client-cert are both specified for %v", name))
		}
		if u.ClientKey != "" && len(u.ClientKeyData) > 0 {
			errs = append(errs, fmt.Errorf("client-key-data and client-key are both specified for %v", name))
		}
		if u.ClientKey == "" && len(u.ClientKeyData) == 0 {
			errs = append(errs, fmt.Errorf("client-key-data or client-key must be specified for %v to use the clientCert authentication method", name))
		}
		if u.ClientCertificate != "" {
			if err := readable(u.ClientCertificate); err != nil {
				errs = append(errs, fmt.Errorf("unable to read client-cert %v for %v due to %w", u.ClientCertificate, name, err))
			}
		}
		if u.ClientKey != "" {
			if err := readable(u.ClientKey); err != nil {
				errs = append(errs, fmt.Errorf("unable to read client-key %v for %v due to %w", u.ClientKey, name, err))
			}
		}
	}
	if u.Exec != nil {
		if u.AuthProvider != nil {
			errs = append(errs, fmt.Errorf("authProvider cannot be provided in combination with an exec plugin for %s", name))
		}
		errs = append(errs, u.Exec.validate(name)...)
	}
	if (u.ImpersonateUID != "" || len(u.ImpersonateGroups) > 0 || len(u.ImpersonateUserExtra) > 0) && u.Impersonate == "" {
		errs = append(errs, fmt.Errorf("requesting uid, groups or user-extra for %v without impersonating a user", name))
	}
	return errs
}

func readable(path string) error {
	f, err := os.Open(path)
	if err == nil {
		f.Close()
	}
	return err
}

func parseProxyURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("could not parse: %v", s)
	}
	switch u.Scheme {
	case "http", "https", "socks5":
		return u, nil
	}
	return nil, fmt.Errorf("unsupported scheme %q, must be http, https, or socks5", u.Scheme)
}

// serverURL is the server's URL: the host, with https:// added when the
// configuration has TLS settings and http:// otherwise
// (rest.DefaultServerUrlFor).
func serverURL(ac *apiConfig) (*url.URL, error) {
	tls := ac.CAFile != "" || len(ac.CAData) > 0 || ac.CertFile != "" || len(ac.CertData) > 0 || ac.Insecure
	host := ac.Host
	if host == "" {
		host = "localhost"
	}
	u, err := url.Parse(host)
	if err != nil || u.Scheme == "" || u.Host == "" {
		scheme := "http://"
		if tls {
			scheme = "https://"
		}
		if u, err = url.Parse(scheme + host); err != nil {
			return nil, err
		}
		if u.Path != "" && u.Path != "/" {
			return nil, fmt.Errorf("host must be a URL or a host:port pair: %q", host)
		}
	}
	return u, nil
}

// parseCerts returns the certificates in PEM data, none if one of them is
// not a certificate (certutil.ParseCertsPEM).
func parseCerts(data []byte) []*x509.Certificate {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return certs
		}
		if b.Type != "CERTIFICATE" || len(b.Headers) != 0 {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil
		}
		certs = append(certs, c)
	}
}
