package sim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/internal/flock"
)

// DirEnv names the environment variable that selects the state directory.
const DirEnv = "CALICO_HNS_SIM_DIR"

// BackendEnv names the environment variable with which the Windows builds
// (calico.exe, hnsctl.exe) use the simulator instead of real HNS: "sim".
const BackendEnv = "CALICO_HNS_BACKEND"

// Sim is a simulated HNS backed by a state directory. It implements
// hns.Client; several Sims (in one process or many) opening the same
// directory share one HNS. A Sim holds no open files between calls.
type Sim struct {
	st  store
	now func() time.Time
	// mu orders this process's goroutines around st.tx; the file lock
	// orders processes.
	mu sync.RWMutex
}

var _ hns.Client = (*Sim)(nil)

// Config is the persisted configuration of the simulated host: every
// process opening the directory sees it.
type Config struct {
	// Version is what Version reports; hns.FeaturesFor derives features from it.
	Version hns.Version
	// CascadeNetworkDelete makes DeleteNetwork delete the network's endpoints;
	// when false it refuses with 0x803b002c while endpoints remain.
	CascadeNetworkDelete bool
	// ManagementIPDelay is how long after CreateNetwork the network's
	// ProviderAddress policy (management IP) becomes visible.
	ManagementIPDelay time.Duration
	// HostAddress is the host adapter's IPv4 address: a network created
	// without a ProviderAddress policy (by the CNI plugin, say) gets it as
	// its management IP, as real HNS takes it from the adapter it binds to.
	// Empty: such networks never get one.
	HostAddress string `json:",omitempty"`
	// DetachNotAttachedCode is the code of DetachEndpoint for an endpoint not
	// attached to that namespace (0x803b0034 by default; 0x490 is the other
	// plausible answer, see reference §5.2).
	DetachNotAttachedCode uint32
}

// DefaultConfig is a recent Windows Server host (HNS 15.4: every feature).
func DefaultConfig() Config {
	return Config{
		Version:               hns.Version{Major: 15, Minor: 4},
		CascadeNetworkDelete:  true,
		DetachNotAttachedCode: hns.EndpointNotAttached,
	}
}

// Option configures Open. Options that change Config are persisted.
type Option func(*openOptions)

type openOptions struct {
	edits []func(*Config)
	now   func() time.Time
}

// WithVersion sets (and persists) the HNS version.
func WithVersion(v hns.Version) Option {
	return withEdit(func(c *Config) { c.Version = v })
}

// WithManagementIPDelay sets (and persists) Config.ManagementIPDelay.
func WithManagementIPDelay(d time.Duration) Option {
	return withEdit(func(c *Config) { c.ManagementIPDelay = d })
}

// WithHostAddress sets (and persists) Config.HostAddress.
func WithHostAddress(addr string) Option {
	return withEdit(func(c *Config) { c.HostAddress = addr })
}

// WithCascadeNetworkDelete sets (and persists) Config.CascadeNetworkDelete.
func WithCascadeNetworkDelete(cascade bool) Option {
	return withEdit(func(c *Config) { c.CascadeNetworkDelete = cascade })
}

// WithDetachNotAttachedCode sets (and persists) Config.DetachNotAttachedCode.
func WithDetachNotAttachedCode(code uint32) Option {
	return withEdit(func(c *Config) { c.DetachNotAttachedCode = code })
}

// WithClock replaces time.Now for this Sim only (not persisted), for tests
// of time-dependent behaviour such as the management-IP delay.
func WithClock(now func() time.Time) Option {
	return func(o *openOptions) { o.now = now }
}

func withEdit(f func(*Config)) Option {
	return func(o *openOptions) { o.edits = append(o.edits, f) }
}

// Open opens (creating if needed) the simulated HNS whose state lives in dir.
func Open(dir string, opts ...Option) (*Sim, error) {
	if dir == "" {
		return nil, errors.New("hns sim: empty state directory")
	}
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	s := &Sim{st: store{dir: dir}, now: time.Now}
	if o.now != nil {
		s.now = o.now
	}
	if err := s.st.init(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(s.st.path(configFileName)); err == nil && len(o.edits) == 0 {
		return s, nil
	}
	err := s.UpdateConfig(context.Background(), func(c *Config) {
		for _, edit := range o.edits {
			edit(c)
		}
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the state directory.
func (s *Sim) Dir() string { return s.st.dir }

// DefaultDir returns $CALICO_HNS_SIM_DIR if set. Else, on Windows,
// c:\CalicoWindows\hns-sim, beside the plugin's state files, the same for
// every process of the node (a per-user temporary directory if it cannot be
// written); elsewhere /var/run/calico-win/hns-sim when it can be created and
// written, else a per-user directory under the system temporary directory.
func DefaultDir() string {
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	if runtime.GOOS == "windows" {
		const system = `c:\CalicoWindows\hns-sim`
		if writable(system) {
			return system
		}
		// %TEMP% is per user already (os.Getuid is -1 on Windows).
		return filepath.Join(os.TempDir(), "calico-win-hns-sim")
	}
	const system = "/var/run/calico-win/hns-sim"
	if writable(system) {
		return system
	}
	return filepath.Join(os.TempDir(), "calico-win-hns-sim-"+strconv.Itoa(os.Getuid()))
}

// writable reports whether dir exists or can be created, and accepts files.
func writable(dir string) bool {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false
	}
	f, err := os.CreateTemp(dir, ".probe-")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// Config returns the persisted configuration.
func (s *Sim) Config(ctx context.Context) (Config, error) {
	if err := ctx.Err(); err != nil {
		return Config{}, err
	}
	return s.currentConfig()
}

// currentConfig reads the configuration outside a locked section.
func (s *Sim) currentConfig() (Config, error) {
	return unlockedRead(s, s.readConfig)
}

// readConfig reads the configuration; outside a locked section use
// currentConfig.
func (s *Sim) readConfig() (Config, error) {
	c := DefaultConfig()
	err := readJSON(s.st.path(configFileName), &c)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Config{}, err
	}
	return c, nil
}

// UpdateConfig applies edit to the persisted configuration.
func (s *Sim) UpdateConfig(ctx context.Context, edit func(*Config)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.locked(true, func() error {
		c, err := s.readConfig()
		if err != nil {
			return err
		}
		edit(&c)
		return writeJSON(s.st.path(configFileName), c)
	})
}

// Features returns what hcn would derive from the configured version.
func (s *Sim) Features(ctx context.Context) (hns.Features, error) {
	v, err := s.Version(ctx)
	if err != nil {
		return hns.Features{}, err
	}
	return hns.FeaturesFor(v), nil
}

// Version implements hns.Client.
func (s *Sim) Version(ctx context.Context) (hns.Version, error) {
	if err := s.begin(ctx, KindVersion, "hnsCall"); err != nil {
		return hns.Version{}, err
	}
	c, err := s.currentConfig()
	return c.Version, err
}

// locked runs fn holding the state lock, exclusive for mutations and shared
// for reads that must see several files consistently. A mutation's writes
// are one commit (see journal.go): all made when fn succeeds, none when it
// fails. Whoever takes the lock first applies the journal of an operation
// whose process was killed mid-way.
func (s *Sim) locked(exclusive bool, fn func() error) error {
	if !exclusive {
		return s.lockedShared(fn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := flock.Lock(context.Background(), s.st.path(lockFileName))
	if err != nil {
		return fmt.Errorf("hns sim: %w", err)
	}
	defer unlock()
	s.st.spares = new([]string)
	defer func() { s.st.spares = nil }()
	if err := s.st.recover(); err != nil {
		return err
	}
	tx := &journal{}
	s.st.tx = tx
	defer func() { s.st.tx = nil }()
	if err := fn(); err != nil {
		return err
	}
	return s.st.commit(tx)
}

func (s *Sim) lockedShared(fn func() error) error {
	for {
		s.mu.RLock()
		unlock, err := flock.LockShared(context.Background(), s.st.path(lockFileName))
		if err != nil {
			s.mu.RUnlock()
			return fmt.Errorf("hns sim: %w", err)
		}
		if !s.st.journaled() {
			defer s.mu.RUnlock()
			defer unlock()
			return fn()
		}
		// A killed mutation's journal: apply it under the exclusive lock.
		unlock()
		s.mu.RUnlock()
		if err := s.locked(true, func() error { return nil }); err != nil {
			return err
		}
	}
}

// lockFreeReads: on Unix a file may be renamed over while another process
// reads it, so the files that are replaced with a new inode (config and
// faults, read by every call) are read without the lock. Windows refuses
// to rename over a file that another process has open (os.Open does not
// share delete access), so there they are read under the shared lock.
const lockFreeReads = runtime.GOOS != "windows"

// unlockedRead reads config or faults outside a locked section: without
// the lock where the OS allows it (see lockFreeReads), else under the
// shared lock. Never call it inside a locked section: on Windows it would
// wait for a lock its own caller holds.
func unlockedRead[T any](s *Sim, read func() (T, error)) (T, error) {
	if lockFreeReads {
		return read()
	}
	return readLocked(s, read)
}

// readLocked runs read under the shared lock: object files are rewritten
// in place of recycled inodes (see put), so they are never read unlocked.
func readLocked[T any](s *Sim, read func() (T, error)) (T, error) {
	var v T
	err := s.locked(false, func() error {
		var err error
		v, err = read()
		return err
	})
	return v, err
}
