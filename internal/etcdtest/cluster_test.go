//go:build linux

package etcdtest

import "testing"

// Pausing a member needs SIGSTOP: Linux only.
func TestClusterOutagesAndLeader(t *testing.T) {
	c := StartCluster(t, 3)
	if got := len(c.Endpoints()); got != 3 {
		t.Fatalf("%d endpoints, want 3", got)
	}
	leader := c.Leader(t)
	other := (leader + 1) % 3
	c.Member(other).Put(t, "/k", "v1")

	c.Pause(t, leader)
	next := c.Leader(t)
	if next == leader {
		t.Fatalf("the paused member %d still leads", leader)
	}
	c.Member(next).Put(t, "/k", "v2")
	c.Resume(t, leader)

	c.Kill(t, next)
	c.Restart(t, next)
	c.Leader(t)
	if v, ok := c.Member(next).Get(t, "/k"); !ok || v != "v2" {
		t.Errorf("after a restart member %d has /k = %q, %v; want v2", next, v, ok)
	}
	c.Stop(t, other)
	c.Restart(t, other)
	if v, _ := c.Member(other).Get(t, "/k"); v != "v2" {
		t.Errorf("after a stop and restart member %d has /k = %q; want v2", other, v)
	}
}
