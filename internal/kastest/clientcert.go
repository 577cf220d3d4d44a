package kastest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// CNICertKubeconfig is CNIKubeconfig's identity with a client certificate
// instead of a ServiceAccount token: user calico-cni-plugin-cert (the
// certificate's CN) bound to Calico's calico-cni-plugin ClusterRole, in a
// kubeconfig with the certificate and key inline, as kubeadm writes its
// admin.conf (RSA 2048, as kubeadm makes them). It is made once per server.
func (s *Server) CNICertKubeconfig(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cniCert == "" {
		s.cniCert = s.CertKubeconfig(t, CNIRole+"-cert", CNIRole, CNIRules())
	}
	return s.cniCert
}

// CertKubeconfig creates (or replaces) ClusterRole role with rules, binds
// it to user, and returns a kubeconfig file that authenticates as user with
// a client certificate signed by the server's client CA, once the server's
// authorizer has seen the binding.
func (s *Server) CertKubeconfig(t testing.TB, user, role string, rules []Rule) string {
	t.Helper()
	s.put(t, "/apis/rbac.authorization.k8s.io/v1/clusterroles", role, map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{"name": role}, "rules": rules,
	})
	s.put(t, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", user, map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": user},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}},
	})
	certPEM, keyPEM, err := s.pki.clientCert(user)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) > 0 && len(rules[0].Resources) > 0 {
		s.waitAllowed(t, user, rules[0])
	}
	return s.writeKubeconfig(t, user,
		"client-certificate-data: "+base64.StdEncoding.EncodeToString(certPEM),
		"client-key-data: "+base64.StdEncoding.EncodeToString(keyPEM))
}

// clientCert is a client certificate for user (its CN), valid for a day.
func (p *pki) clientCert(user string) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: user},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), nil
}
