package etcdtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Cluster is a real multi-member etcd on loopback, for failover tests:
// members can be stopped, killed, paused (SIGSTOP: the member still
// accepts connections, as a wedged process does, and never answers),
// resumed and restarted with their data.
type Cluster struct {
	bin     string
	dir     string
	initial string // --initial-cluster
	mu      sync.Mutex
	members []*Server
	args    [][]string
	paused  []bool
}

// StartCluster starts an n-member etcd cluster of the test's own, stopped
// when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	bin := Binary(t)
	c := &Cluster{bin: bin, dir: t.TempDir()}
	var lastErr error
	for range 3 { // a free port may be taken before etcd binds it
		err := c.start(n)
		if err == nil {
			break
		}
		c.stopAll()
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
	if c.members == nil {
		t.Fatal(lastErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, m := range c.members {
				t.Logf("etcd member %d log (%s), last lines:\n%s", i, m.logPath, m.LogTail())
			}
		}
		c.stopAll()
	})
	return c
}

func (c *Cluster) start(n int) error {
	ports, err := FreePorts(2 * n)
	if err != nil {
		return err
	}
	c.members, c.args, c.paused = nil, nil, make([]bool, n)
	var peers []string
	for i := range n {
		peers = append(peers, fmt.Sprintf("m%d=http://127.0.0.1:%d", i, ports[2*i+1]))
	}
	c.initial = strings.Join(peers, ",")
	token := fmt.Sprintf("etcdtest-%d", time.Now().UnixNano())
	for i := range n {
		client := fmt.Sprintf("http://127.0.0.1:%d", ports[2*i])
		peer := fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1])
		args := []string{
			"--name", fmt.Sprintf("m%d", i),
			"--data-dir", filepath.Join(c.dir, fmt.Sprintf("m%d", i)),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", c.initial, "--initial-cluster-token", token,
			"--initial-cluster-state", "new",
			// Short enough for quick elections, long enough that a loaded
			// test machine does not hold spurious ones.
			"--heartbeat-interval", "25", "--election-timeout", "250",
			"--logger", "zap", "--log-outputs", "stderr",
		}
		if supportsNoFsync(c.bin) {
			args = append(args, "--unsafe-no-fsync")
		}
		s := &Server{endpoint: client, dir: c.dir, logPath: filepath.Join(c.dir, fmt.Sprintf("m%d.log", i))}
		if err := c.launch(s, args); err != nil {
			return err
		}
		c.members = append(c.members, s)
		c.args = append(c.args, args)
	}
	for i, m := range c.members {
		if err := m.waitHealthy(30 * time.Second); err != nil {
			return fmt.Errorf("etcd member %d did not become healthy: %v\nlog %s:\n%s", i, err, m.logPath, m.LogTail())
		}
	}
	return nil
}

// launch starts s's process with args, appending to its log.
func (c *Cluster) launch(s *Server, args []string) error {
	s.exited = make(chan struct{})
	s.client = &http.Client{Timeout: 5 * time.Second}
	s.stopOnce = sync.Once{}
	log, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	fmt.Fprintf(log, "### %s %s\n", c.bin, strings.Join(args, " "))
	s.cmd = exec.Command(c.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", c.bin, err)
	}
	exited := s.exited
	cmd := s.cmd
	go func() { _ = cmd.Wait(); close(exited) }()
	return nil
}

func (c *Cluster) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, m := range c.members {
		if c.paused[i] {
			_ = resume(m.cmd.Process)
			c.paused[i] = false
		}
		m.Stop()
	}
}

// Endpoints returns every member's client URL, in member order.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.members))
	for i, m := range c.members {
		out[i] = m.endpoint
	}
	return out
}

// Len is the number of members.
func (c *Cluster) Len() int { return len(c.members) }

// Member returns member i, for its key/value helpers (Get, Put, List...).
// Those block on a member that is paused or stopped.
func (c *Cluster) Member(i int) *Server { return c.members[i] }

// Stop stops member i (TERM, then KILL after 5 s).
func (c *Cluster) Stop(t testing.TB, i int) {
	t.Helper()
	c.Resume(t, i) // a stopped process cannot handle TERM
	c.members[i].Stop()
}

// Kill kills member i with SIGKILL.
func (c *Cluster) Kill(t testing.TB, i int) {
	t.Helper()
	m := c.members[i]
	_ = m.cmd.Process.Kill()
	<-m.exited
	c.mu.Lock()
	c.paused[i] = false
	c.mu.Unlock()
	m.stopOnce.Do(func() {})
}

// Pause stops member i with SIGSTOP: its sockets stay open and the kernel
// still accepts connections for it, but nothing is answered.
func (c *Cluster) Pause(t testing.TB, i int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := pause(c.members[i].cmd.Process); err != nil {
		t.Fatalf("pausing etcd member %d: %v", i, err)
	}
	c.paused[i] = true
}

// Resume continues a paused member (SIGCONT); it does nothing to one that
// is not paused.
func (c *Cluster) Resume(t testing.TB, i int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused[i] {
		return
	}
	if err := resume(c.members[i].cmd.Process); err != nil {
		t.Fatalf("resuming etcd member %d: %v", i, err)
	}
	c.paused[i] = false
}

// Restart starts a stopped or killed member again, with its data, and
// waits until it is healthy.
func (c *Cluster) Restart(t testing.TB, i int) {
	t.Helper()
	m := c.members[i]
	select {
	case <-m.exited:
	default:
		t.Fatalf("restarting etcd member %d: it is still running (Stop or Kill it first)", i)
	}
	args := append([]string(nil), c.args[i]...)
	for j, a := range args {
		if a == "new" && j > 0 && args[j-1] == "--initial-cluster-state" {
			args[j] = "existing"
		}
	}
	if err := c.launch(m, args); err != nil {
		t.Fatal(err)
	}
	if err := m.waitHealthy(30 * time.Second); err != nil {
		t.Fatalf("etcd member %d did not become healthy after a restart: %v\n%s", i, err, m.LogTail())
	}
}

// Leader returns the index of the member that leads, waiting (up to 20 s)
// for the members that answer to agree on one. Paused and stopped members
// are not asked.
func (c *Cluster) Leader(t testing.TB) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		idx, err := c.leader()
		if err == nil {
			return idx
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no etcd leader after 20 s: %v", last)
	return -1
}

func (c *Cluster) leader() (int, error) {
	ids := make([]string, len(c.members))
	leader := ""
	for i, m := range c.members {
		if !c.up(i) {
			continue
		}
		var st struct {
			Header struct {
				MemberID string `json:"member_id"`
			} `json:"header"`
			Leader string `json:"leader"`
		}
		resp, err := m.client.Post(m.endpoint+"/v3/maintenance/status", "application/json", bytes.NewReader([]byte("{}")))
		if err != nil {
			return -1, err
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			return -1, err
		}
		ids[i] = st.Header.MemberID
		if st.Leader == "" || st.Leader == "0" || (leader != "" && st.Leader != leader) {
			return -1, fmt.Errorf("member %d sees leader %q, others %q", i, st.Leader, leader)
		}
		leader = st.Leader
	}
	for i, id := range ids {
		if id != "" && id == leader {
			return i, nil
		}
	}
	return -1, fmt.Errorf("the leader %q is not among the members that answer", leader)
}

// up tells whether member i runs and is not paused.
func (c *Cluster) up(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused[i] {
		return false
	}
	select {
	case <-c.members[i].exited:
		return false
	default:
		return true
	}
}
