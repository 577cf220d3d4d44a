package k8s

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
)

// execClient is a Client whose kubeconfig user runs the fake plugin
// (execplugin_test.go) in mode, with extra env, against p's server; runs is
// the file the plugin counts its runs in.
func execClient(t *testing.T, p *testPKI, mode string, env ...string) (c *Client, runs string) {
	t.Helper()
	runs = p.path("runs-" + strings.ReplaceAll(t.Name(), "/", "-"))
	envs := `{name: FAKE_EXEC_PLUGIN, value: ` + mode + `}, {name: FAKE_EXEC_RUNS, value: "` + filepath.ToSlash(runs) + `"}`
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		envs += `, {name: ` + k + `, value: "` + filepath.ToSlash(v) + `"}`
	}
	kc := p.write(t, "kc/"+strings.ReplaceAll(t.Name(), "/", "-")+".yaml", []byte(p.expand(oneContext(
		`{server: "$SERVER", certificate-authority-data: "$CA_DATA"}`,
		`{exec: {command: "$EXEC", apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never, installHint: "install the fake", env: [`+envs+`]}}`))))
	c, err := New(Config{Kubeconfig: kc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, runs
}

func runCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestExecPluginRunsOnceForParallelRequests: New does not run the plugin;
// the first requests, sent at once, run it once and all carry its token.
func TestExecPluginRunsOnceForParallelRequests(t *testing.T) {
	p := newTestPKI(t)
	c, runs := execClient(t, p, "token", "FAKE_EXEC_TOKEN=tok")
	if n := runCount(t, runs); n != 0 {
		t.Fatalf("New ran the plugin %d times", n)
	}
	var wg sync.WaitGroup
	auths := make([]string, 4)
	for i := range auths {
		wg.Go(func() {
			s, err := probe(t, c.http, c.Server())
			if err != nil {
				t.Error(err)
			}
			auths[i] = s.Authorization
		})
	}
	wg.Wait()
	for _, a := range auths {
		if !strings.HasPrefix(a, "Bearer tok.") {
			t.Errorf("Authorization %q, want the plugin's token", a)
		}
	}
	if n := runCount(t, runs); n != 1 {
		t.Errorf("the plugin ran %d times, want once", n)
	}
}

// TestExecPluginRunsAgainWhenExpired: a token past its
// expirationTimestamp is not used again.
func TestExecPluginRunsAgainWhenExpired(t *testing.T) {
	p := newTestPKI(t)
	c, runs := execClient(t, p, "expired")
	a, err1 := probe(t, c.http, c.Server())
	b, err2 := probe(t, c.http, c.Server())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if a.Authorization == b.Authorization || runCount(t, runs) != 2 {
		t.Errorf("tokens %q then %q in %d runs: want a new token each time", a.Authorization, b.Authorization, runCount(t, runs))
	}
}

// TestExecPluginRunsAgainAfter401: credentials the server refused are not
// used again.
func TestExecPluginRunsAgainAfter401(t *testing.T) {
	p := newTestPKI(t)
	p.status.Store(http.StatusUnauthorized)
	c, runs := execClient(t, p, "token")
	for range 2 {
		if _, err := c.GetNamespace(testCtx(t), "default"); !errors.Is(err, datastore.ErrUnauthorized) {
			t.Fatalf("GetNamespace: %v, want ErrUnauthorized", err)
		}
	}
	if n := runCount(t, runs); n != 2 {
		t.Errorf("the plugin ran %d times, want twice (once per refusal)", n)
	}
}

// TestExecPluginFailures: a plugin that fails is a request failure
// (ErrUnavailable, as client-go's was) that names the exec command and
// says why; one that does not answer is stopped at the request's deadline.
func TestExecPluginFailures(t *testing.T) {
	p := newTestPKI(t)
	for _, tc := range []struct {
		mode string
		env  []string
		want string
	}{
		{"fail", nil, "failed with exit code 3: no credentials for you"},
		{"garbage", nil, "decoding stdout"},
		{"nostatus", nil, "didn't return a status field"},
		{"cert", []string{"FAKE_EXEC_CERT=" + p.path("certs/client.crt"), "FAKE_EXEC_KEY=" + p.path("certs/garbage")}, "failed parsing client key/certificate"},
		{"sleep", nil, "not done in time"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			c, _ := execClient(t, p, tc.mode, tc.env...)
			ctx, cancel := context.WithTimeout(testCtx(t), 2*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.GetNamespace(ctx, "default")
			if !errors.Is(err, datastore.ErrUnavailable) || !strings.Contains(err.Error(), "users[].user.exec.command") ||
				!strings.Contains(err.Error(), tc.want) {
				t.Errorf("GetNamespace: %v\nwant ErrUnavailable naming the exec command and %q", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v: the plugin was not stopped at the deadline", d)
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		kc := p.write(t, "kc/notfound.yaml", []byte(p.expand(oneContext(`{server: "$SERVER", certificate-authority-data: "$CA_DATA"}`,
			`{exec: {command: no-such-credential-plugin, apiVersion: client.authentication.k8s.io/v1beta1, installHint: "install it"}}`))))
		c, err := New(Config{Kubeconfig: kc})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.GetNamespace(testCtx(t), "default")
		if !errors.Is(err, datastore.ErrUnavailable) || !strings.Contains(err.Error(), "executable no-such-credential-plugin not found: install it") {
			t.Errorf("GetNamespace: %v", err)
		}
	})
}
