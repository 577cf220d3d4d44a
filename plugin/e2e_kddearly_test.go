//go:build !windows

package plugin_test

// A call on the Kubernetes datastore parses its kubeconfig and opens its
// TLS connection while it still sets itself up, not after.

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKDDConnectsWhileCallSetsUp holds a DEL in its setup (its nodename file
// is a FIFO nobody writes yet) and waits for its TLS ClientHello: it must
// come before the node name does. A call that made its API client only
// when it opened the datastore, after reading the node name, sends none.
func TestKDDConnectsWhileCallSetsUp(t *testing.T) {
	hello := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(http.NotFound))
	srv.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		select {
		case hello <- struct{}{}:
		default:
		}
		return nil, nil
	}}
	srv.StartTLS()
	defer srv.Close()

	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kubeconfig := filepath.Join(dir, "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %s, certificate-authority-data: %s}
users:
- name: u
  user: {token: t}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
`, srv.URL, base64.StdEncoding.EncodeToString(ca))
	if err := os.WriteFile(kubeconfig, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "nodename")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	conf, _ := json.Marshal(map[string]any{
		"cniVersion": "1.0.0", "name": "calico", "type": "calico", "mode": "vxlan",
		"datastore_type": "kubernetes", "kubernetes": map[string]any{"kubeconfig": kubeconfig},
		"nodename_file": fifo, "ipam_lock_file": filepath.Join(dir, "ipam.lock"),
		"ipam": map[string]any{"type": "calico-ipam"},
	})
	cmd := exec.Command(filepath.Join(binDir, "calico"))
	cmd.Env = append(os.Environ(), "CNI_COMMAND=DEL", "CNI_CONTAINERID=early-1", "CNI_IFNAME=eth0",
		"CNI_NETNS=none", "CNI_PATH="+binDir, "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=p",
		"CALICO_HNS_SIM_DIR="+filepath.Join(dir, "hns"))
	cmd.Stdin = strings.NewReader(string(conf))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-hello:
	case err := <-done:
		t.Fatalf("the DEL ended (%v) before its node name was given", err)
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("no TLS handshake while the call waited for its node name")
	}
	// Let the call go on: it reads the node name (then fails against this
	// server, which knows no Calico resources).
	if err := os.WriteFile(fifo, []byte("win-1"), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the DEL did not end after its node name was given")
	}
}
