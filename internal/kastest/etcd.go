package kastest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

var errPortTaken = errors.New("port taken")

// startEtcd starts the etcd kube-apiserver stores its objects in, tuned for
// tests: fast elections, and no fsync where the binary knows the flag.
func startEtcd(bin, dir string, attempt int) (*process, string, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, "", err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	args := []string{
		"--name", "kastest",
		"--data-dir", filepath.Join(dir, "etcd-data-"+strconv.Itoa(attempt)),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "kastest=" + peer,
		"--heartbeat-interval", "10", "--election-timeout", "100",
		"--logger", "zap", "--log-outputs", "stderr",
	}
	if out, _ := exec.Command(bin, "--help").CombinedOutput(); bytes.Contains(out, []byte("--unsafe-no-fsync")) {
		args = append(args, "--unsafe-no-fsync")
	}
	p, err := startProcess("etcd", bin, args, filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, "", err
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	err = poll(30*time.Second, 20*time.Millisecond, func() (bool, error) {
		if err := p.running(); err != nil {
			return true, err
		}
		resp, err := hc.Get(client + "/health")
		if err != nil {
			return false, err
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		ok := resp.StatusCode == http.StatusOK && bytes.Contains(body.Bytes(), []byte(`"true"`))
		return ok, nil
	})
	if err != nil {
		p.stop(5 * time.Second)
		if p.portTaken() {
			return nil, "", fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, "", fmt.Errorf("etcd did not become healthy: %v\nlog %s:\n%s", err, p.logPath, p.tail(20))
	}
	return p, client, nil
}
