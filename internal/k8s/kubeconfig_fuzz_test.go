package k8s

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// FuzzKubeconfigAgainstClientcmd: any bytes parse as a kubeconfig here
// exactly when clientcmd.Load parses them, to the same clusters, users and
// contexts. Seeded with the corpus of kubeconfig_diff_test.go.
func FuzzKubeconfigAgainstClientcmd(f *testing.F) {
	for _, tc := range diffCorpus() {
		f.Add([]byte(tc.kubeconfig))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ref, refErr := clientcmd.Load(data)
		kc, err := parseKubeconfig(data)
		if (refErr == nil) != (err == nil) {
			t.Fatalf("%q:\nclientcmd: %v\nours: %v", data, refErr, err)
		}
		if err != nil {
			return
		}
		if got, want := summary(kc), summaryOf(ref); got != want {
			t.Fatalf("%q:\nours:      %s\nclientcmd: %s", data, got, want)
		}
	})
}

// summary and summaryOf print what both parsed, sorted by name.
func summary(kc *kubeconfig) string {
	var l []string
	for _, c := range kc.Clusters {
		x := c.Cluster
		l = append(l, fmt.Sprintf("cluster %q: %q %q %v %q %x %q %v", c.Name, x.Server, x.TLSServerName, x.InsecureSkipTLSVerify,
			x.CertificateAuthority, x.CertificateAuthorityData, x.ProxyURL, x.DisableCompression))
	}
	for _, u := range kc.Users {
		x := u.User
		e := ""
		if x.Exec != nil {
			e = fmt.Sprintf("%q %q %q %v", x.Exec.Command, x.Exec.APIVersion, x.Exec.InteractiveMode, x.Exec.Args)
		}
		l = append(l, fmt.Sprintf("user %q: %q %x %q %x %q %q %q %q %q %v exec[%s] ap %v", u.Name, x.ClientCertificate, x.ClientCertificateData,
			x.ClientKey, x.ClientKeyData, x.Token, x.TokenFile, x.Username, x.Password, x.Impersonate, x.ImpersonateGroups, e, x.AuthProvider != nil))
	}
	for _, c := range kc.Contexts {
		l = append(l, fmt.Sprintf("context %q: %q %q", c.Name, c.Context.Cluster, c.Context.User))
	}
	sort.Strings(l)
	return "current " + fmt.Sprintf("%q", kc.CurrentContext) + "; " + strings.Join(l, "; ")
}

func summaryOf(c *clientcmdapi.Config) string {
	var l []string
	for n, x := range c.Clusters {
		l = append(l, fmt.Sprintf("cluster %q: %q %q %v %q %x %q %v", n, x.Server, x.TLSServerName, x.InsecureSkipTLSVerify,
			x.CertificateAuthority, x.CertificateAuthorityData, x.ProxyURL, x.DisableCompression))
	}
	for n, x := range c.AuthInfos {
		e := ""
		if x.Exec != nil {
			e = fmt.Sprintf("%q %q %q %v", x.Exec.Command, x.Exec.APIVersion, x.Exec.InteractiveMode, x.Exec.Args)
		}
		l = append(l, fmt.Sprintf("user %q: %q %x %q %x %q %q %q %q %q %v exec[%s] ap %v", n, x.ClientCertificate, x.ClientCertificateData,
			x.ClientKey, x.ClientKeyData, x.Token, x.TokenFile, x.Username, x.Password, x.Impersonate, x.ImpersonateGroups, e, x.AuthProvider != nil))
	}
	for n, x := range c.Contexts {
		l = append(l, fmt.Sprintf("context %q: %q %q", n, x.Cluster, x.AuthInfo))
	}
	sort.Strings(l)
	return "current " + fmt.Sprintf("%q", c.CurrentContext) + "; " + strings.Join(l, "; ")
}
