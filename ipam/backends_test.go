package ipam_test

// The parity scenarios run on three stores: the in-memory one (fast, every
// `go test`), a real etcd and a real kube-apiserver with Calico's CRDs
// (the tests whose names end in Integration).

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	etcdstore "github.com/calico-win/cni/datastore/etcd"
	"github.com/calico-win/cni/datastore/kdd"
	"github.com/calico-win/cni/datastore/memstore"
	"github.com/calico-win/cni/internal/etcdtest"
	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/kastest"
	"github.com/calico-win/cni/ipam"
)

// backend is a store plus the seeding of what calicoctl and calico-node
// write (objects the plugin only reads).
type backend struct {
	store   datastore.IPAMStore
	pool    func(t *testing.T, p datastore.IPPool)
	node    func(t *testing.T, name string, labels map[string]string)
	config  func(t *testing.T, c datastore.IPAMConfig)
	reserve func(t *testing.T, name string, cidrs []string)
}

func memBackend(t *testing.T) *backend {
	s := memstore.New()
	return &backend{
		store:  s,
		pool:   func(_ *testing.T, p datastore.IPPool) { s.PutIPPool(p) },
		node:   func(_ *testing.T, n string, l map[string]string) { s.PutNode(datastore.Node{Name: n, Labels: l}) },
		config: func(_ *testing.T, c datastore.IPAMConfig) { s.PutIPAMConfig(c) },
		reserve: func(t *testing.T, name string, cidrs []string) {
			if err := s.PutIPReservation(name, cidrs); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func etcdBackend(t *testing.T) *backend {
	srv := etcdtest.Shared(t)
	st, err := etcdstore.New(etcdstore.Config{Endpoints: srv.Endpoints(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &backend{
		store: st,
		pool:  func(t *testing.T, p datastore.IPPool) { srv.PutIPPool(t, p) },
		node:  func(t *testing.T, n string, l map[string]string) { srv.PutNode(t, n, l) },
		config: func(t *testing.T, c datastore.IPAMConfig) {
			raw, err := json.Marshal(c) // libcalico-go's model.IPAMConfig JSON
			if err != nil {
				t.Fatal(err)
			}
			srv.Put(t, "/calico/ipam/v2/config", string(raw))
		},
		reserve: func(t *testing.T, name string, cidrs []string) { srv.PutIPReservation(t, name, cidrs) },
	}
}

func kddBackend(t *testing.T) *backend {
	srv := kastest.Shared(t)
	st, err := kdd.New(kdd.Config{Config: k8s.Config{Kubeconfig: srv.CNIKubeconfig(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &backend{
		store: st,
		pool:  func(t *testing.T, p datastore.IPPool) { srv.PutIPPool(t, p) },
		node:  func(t *testing.T, n string, l map[string]string) { srv.PutNode(t, n, l) },
		config: func(t *testing.T, c datastore.IPAMConfig) {
			path := kastest.CalicoPath("ipamconfigs", "default")
			srv.Admin(t, http.MethodDelete, path, nil, http.StatusOK, http.StatusNotFound)
			spec := map[string]any{"strictAffinity": c.StrictAffinity, "autoAllocateBlocks": c.AutoAllocateBlocks}
			if c.MaxBlocksPerHost != 0 {
				spec["maxBlocksPerHost"] = c.MaxBlocksPerHost
			}
			if c.IPCooldownSeconds != 0 {
				spec["ipCooldownSeconds"] = c.IPCooldownSeconds
			}
			srv.Admin(t, http.MethodPost, kastest.CalicoPath("ipamconfigs", ""), map[string]any{
				"apiVersion": kastest.CalicoGroup, "kind": "IPAMConfig",
				"metadata": map[string]any{"name": "default"}, "spec": spec,
			})
		},
		reserve: func(t *testing.T, name string, cidrs []string) { srv.PutIPReservation(t, name, cidrs) },
	}
}

// seed writes the usual starting point: strict affinity, node win-1 (and
// win-2, win-3), and the pools.
func (b *backend) seed(t *testing.T, cfg datastore.IPAMConfig, pools ...datastore.IPPool) {
	t.Helper()
	cfg.StrictAffinity, cfg.AutoAllocateBlocks = true, true
	b.config(t, cfg)
	for _, n := range []string{"win-1", "win-2", "win-3"} {
		b.node(t, n, map[string]string{"kubernetes.io/os": "windows", "host": n})
	}
	for _, p := range pools {
		b.pool(t, p)
	}
}

// clock is a settable Allocator.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func (b *backend) alloc(host string, c *clock) *ipam.Allocator {
	a := &ipam.Allocator{Store: b.store, Host: host}
	if c != nil {
		a.Now = c.now
	}
	return a
}

// onEvery runs scenario on the in-memory store; the Integration variants
// run it on etcd and on the kube-apiserver.
type scenario func(t *testing.T, b *backend)

func onMem(t *testing.T, s scenario) { s(t, memBackend(t)) }

func onServers(t *testing.T, s scenario) {
	t.Run("etcd", func(t *testing.T) { s(t, etcdBackend(t)) })
	t.Run("kdd", func(t *testing.T) { s(t, kddBackend(t)) })
}
