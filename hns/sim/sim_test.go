package sim

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
)

func TestDefaultDirFollowsEnvironment(t *testing.T) {
	want := filepath.Join(tempDir(t), "state")
	t.Setenv(DirEnv, want)
	if got := DefaultDir(); got != want {
		t.Errorf("DefaultDir() = %q, want $%s = %q", got, DirEnv, want)
	}
}

func TestOpenPersistsOptions(t *testing.T) {
	dir := tempDir(t)
	if _, err := Open(""); err == nil {
		t.Error("Open(\"\") = nil error")
	}
	_, err := Open(dir, WithVersion(hns.Version{Major: 12, Minor: 0}), WithCascadeNetworkDelete(false),
		WithManagementIPDelay(5*time.Second), WithDetachNotAttachedCode(hns.ErrorNotFound))
	check(t, "Open", err)
	s, err := Open(dir) // a later process
	check(t, "Open", err)
	got, err := s.Config(context.Background())
	check(t, "Config", err)
	want := Config{Version: hns.Version{Major: 12, Minor: 0}, CascadeNetworkDelete: false,
		ManagementIPDelay: 5 * time.Second, DetachNotAttachedCode: hns.ErrorNotFound}
	if got != want {
		t.Errorf("Config = %+v, want %+v", got, want)
	}
	fresh, err := Open(tempDir(t))
	check(t, "Open", err)
	if got, _ := fresh.Config(context.Background()); got != DefaultConfig() {
		t.Errorf("fresh Config = %+v, want %+v", got, DefaultConfig())
	}
}

func TestCanceledContext(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.s.GetEndpointByName(ctx, "a_Calico"); err != context.Canceled {
		t.Errorf("GetEndpointByName(canceled) = %v", err)
	}
	if _, err := f.s.CreateEndpoint(ctx, f.endpoint("x", "10.244.5.30")); err != context.Canceled {
		t.Errorf("CreateEndpoint(canceled) = %v", err)
	}
}
