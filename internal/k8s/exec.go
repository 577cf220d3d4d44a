package k8s

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Exec credential plugins (a kubeconfig user's exec, as client-go's
// plugin/pkg/client/auth/exec runs them): the command is run, with its
// args, the caller's environment plus env and KUBERNETES_EXEC_INFO, when the
// first request needs credentials, under that request's deadline; it prints
// an ExecCredential whose status holds a token or a client certificate and
// key. They are kept until their expirationTimestamp, or until the server
// refuses them (401). Standard input is never a terminal here (it is the CNI
// netconf), so interactiveMode Always always fails.

// execConfig is a kubeconfig user's exec.
type execConfig struct {
	Command            string       `json:"command"`
	Args               []string     `json:"args"`
	Env                []execEnvVar `json:"env"`
	APIVersion         string       `json:"apiVersion"`
	InstallHint        string       `json:"installHint"`
	ProvideClusterInfo bool         `json:"provideClusterInfo"`
	InteractiveMode    string       `json:"interactiveMode"`

	// clusterConfig is the cluster's client.authentication.k8s.io/exec
	// extension, passed to the plugin with the cluster.
	clusterConfig json.RawMessage
}

type execEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// The API versions of ExecCredential that client-go speaks.
const (
	execV1      = "client.authentication.k8s.io/v1"
	execV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// validate is clientcmd's validation of an exec config (user is the
// kubeconfig user's name).
func (e *execConfig) validate(user string) []error {
	var errs []error
	if e.Command == "" {
		errs = append(errs, fmt.Errorf("command must be specified for %v to use exec authentication plugin", user))
	}
	if e.APIVersion == "" {
		errs = append(errs, fmt.Errorf("apiVersion must be specified for %v to use exec authentication plugin", user))
	}
	for _, v := range e.Env {
		if v.Name == "" {
			errs = append(errs, fmt.Errorf("env variable name must be specified for %v to use exec authentication plugin", user))
		}
	}
	switch mode := e.InteractiveMode; mode {
	case "":
		errs = append(errs, fmt.Errorf("interactiveMode must be specified for %v to use exec authentication plugin", user))
	case "Never", "IfAvailable", "Always":
	default:
		errs = append(errs, fmt.Errorf("invalid interactiveMode for %v: %q", user, mode))
	}
	return errs
}

// execCluster is what a plugin is told of the cluster (provideClusterInfo).
type execCluster struct {
	Server                   string          `json:"server"`
	TLSServerName            string          `json:"tls-server-name,omitempty"`
	InsecureSkipTLSVerify    bool            `json:"insecure-skip-tls-verify,omitempty"`
	CertificateAuthorityData []byte          `json:"certificate-authority-data,omitempty"`
	ProxyURL                 string          `json:"proxy-url,omitempty"`
	DisableCompression       bool            `json:"disable-compression,omitempty"`
	Config                   json.RawMessage `json:"config,omitempty"`
}

// execCredential is the plugin's input (KUBERNETES_EXEC_INFO) and output.
type execCredential struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Cluster     *execCluster `json:"cluster,omitempty"`
		Interactive bool         `json:"interactive"`
	} `json:"spec"`
	Status *struct {
		ExpirationTimestamp   *time.Time `json:"expirationTimestamp,omitempty"`
		Token                 string     `json:"token,omitempty"`
		ClientCertificateData string     `json:"clientCertificateData,omitempty"`
		ClientKeyData         string     `json:"clientKeyData,omitempty"`
	} `json:"status,omitempty"`
}

// ExecError is a failure of the kubeconfig's exec credential plugin.
type ExecError struct {
	Command string
	Err     error
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("the kubeconfig's exec credential plugin (users[].user.exec.command %s): %v", e.Command, e.Err)
}

func (e *ExecError) Unwrap() error { return e.Err }

// execCreds are the credentials a plugin gave.
type execCreds struct {
	token string
	cert  *tls.Certificate
	exp   time.Time // zero: no expiry
}

// execAuth runs a plugin when credentials are needed.
type execAuth struct {
	cfg  *execConfig
	info string // KUBERNETES_EXEC_INFO
	sem  chan struct{}

	mu    sync.Mutex
	creds *execCreds
}

// newExecAuth prepares cfg's plugin; cluster is passed to it if it asks.
func newExecAuth(cfg *execConfig, cluster *execCluster) (*execAuth, error) {
	if cfg.APIVersion != execV1 && cfg.APIVersion != execV1beta1 {
		return nil, fmt.Errorf("exec plugin: invalid apiVersion %q (users[].user.exec.apiVersion: want %s or %s)",
			cfg.APIVersion, execV1, execV1beta1)
	}
	in := execCredential{APIVersion: cfg.APIVersion, Kind: "ExecCredential"}
	if cfg.ProvideClusterInfo {
		in.Spec.Cluster = cluster
	}
	info, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return &execAuth{cfg: cfg, info: string(info), sem: make(chan struct{}, 1)}, nil
}

// current is the credentials in use, nil before the plugin has run or
// after they were refused.
func (a *execAuth) current() *execCreds {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.creds
}

// refused forgets c, which the server refused: the next request runs the
// plugin again.
func (a *execAuth) refused(c *execCreds) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.creds == c {
		a.creds = nil
	}
}

// get returns valid credentials, running the plugin (one at a time) if
// there are none.
func (a *execAuth) get(ctx context.Context) (*execCreds, error) {
	if c := a.current(); c != nil && (c.exp.IsZero() || time.Now().Before(c.exp)) {
		return c, nil
	}
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &ExecError{Command: a.cfg.Command, Err: ctx.Err()}
	}
	defer func() { <-a.sem }()
	if c := a.current(); c != nil && (c.exp.IsZero() || time.Now().Before(c.exp)) {
		return c, nil // another request ran it meanwhile
	}
	c, err := a.run(ctx)
	if err != nil {
		return nil, &ExecError{Command: a.cfg.Command, Err: err}
	}
	a.mu.Lock()
	a.creds = c
	a.mu.Unlock()
	return c, nil
}

// run runs the plugin once.
func (a *execAuth) run(ctx context.Context) (*execCreds, error) {
	if a.cfg.InteractiveMode == "Always" {
		return nil, errors.New("exec plugin cannot support interactive mode: standard input is not a terminal")
	}
	cmd := exec.CommandContext(ctx, a.cfg.Command, a.cfg.Args...)
	cmd.Env = os.Environ()
	for _, e := range a.cfg.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+a.info)
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 1024}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.WaitDelay = time.Second // a grandchild holding stderr must not outlive the deadline by much
	if err := cmd.Run(); err != nil {
		var ee *exec.Error
		var xe *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("not done in time: %w", ctx.Err())
		case errors.As(err, &ee):
			msg := fmt.Sprintf("executable %s not found", a.cfg.Command)
			if a.cfg.InstallHint != "" {
				msg += ": " + a.cfg.InstallHint
			}
			return nil, fmt.Errorf("%s: %w", msg, err)
		case errors.As(err, &xe):
			msg := fmt.Sprintf("executable %s failed with exit code %d", a.cfg.Command, xe.ExitCode())
			if out := strings.TrimSpace(stderr.String()); out != "" {
				msg += ": " + out
			}
			return nil, errors.New(msg)
		}
		return nil, err
	}
	var out execCredential
	if err := decodeYAML(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("decoding stdout: %w", err)
	}
	if out.Kind != "ExecCredential" || out.APIVersion != a.cfg.APIVersion {
		return nil, fmt.Errorf("exec plugin is configured to use API version %s, plugin returned %s %s",
			a.cfg.APIVersion, out.APIVersion, out.Kind)
	}
	s := out.Status
	switch {
	case s == nil:
		return nil, errors.New("exec plugin didn't return a status field")
	case s.Token == "" && s.ClientCertificateData == "" && s.ClientKeyData == "":
		return nil, errors.New("exec plugin didn't return a token or cert/key pair")
	case (s.ClientCertificateData == "") != (s.ClientKeyData == ""):
		return nil, errors.New("exec plugin returned only certificate or key, not both")
	}
	c := &execCreds{token: s.Token}
	if s.ExpirationTimestamp != nil {
		c.exp = *s.ExpirationTimestamp
	}
	if s.ClientCertificateData != "" {
		cert, err := tls.X509KeyPair([]byte(s.ClientCertificateData), []byte(s.ClientKeyData))
		if err != nil {
			return nil, fmt.Errorf("failed parsing client key/certificate: %w", err)
		}
		c.cert = &cert
	}
	return c, nil
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
