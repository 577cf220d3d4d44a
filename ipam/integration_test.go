package ipam_test

// Integration tests of the allocator on a real etcd (internal/etcdtest).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	etcdstore "github.com/calico-win/cni/datastore/etcd"
	"github.com/calico-win/cni/internal/etcdtest"
	"github.com/calico-win/cni/internal/flock"
	"github.com/calico-win/cni/internal/testctx"
	"github.com/calico-win/cni/ipam"
)

type env struct {
	srv   *etcdtest.Server
	store *etcdstore.Store
	lock  string
}

// newEnv seeds what calico-node and calicoctl would have written: a pool,
// IPAMConfig with strict affinity and the node.
func newEnv(t *testing.T, pool string, blockSize int, strict bool, maxBlocks int) *env {
	t.Helper()
	srv := etcdtest.Shared(t)
	srv.PutIPPool(t, datastore.IPPool{Name: "pool1", CIDR: netip.MustParsePrefix(pool), BlockSize: blockSize, NATOutgoing: true})
	srv.PutIPAMConfig(t, strict, true, maxBlocks)
	srv.PutNode(t, "win-1", map[string]string{"kubernetes.io/os": "windows"})
	st, err := etcdstore.New(etcdstore.Config{Endpoints: srv.Endpoints(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{srv: srv, store: st, lock: filepath.Join(t.TempDir(), "ipam.lock")}
}

func (e *env) alloc(host string) *ipam.Allocator {
	return &ipam.Allocator{Store: e.store, Host: host,
		Lock: func(ctx context.Context) (func(), error) { return flock.Lock(ctx, e.lock) }}
}

func req(id string) ipam.Request {
	return ipam.Request{HandleID: "Calico." + id, Attrs: map[string]string{"node": "win-1", "namespace": "default", "pod": "pod-" + id}}
}

func ctx(t *testing.T) context.Context { return testctx.New(t, 20*time.Second) }

func TestFreshNodeClaimsBlockWithReservationsIntegration(t *testing.T) {
	e := newEnv(t, "10.244.0.0/16", 26, true, 0)
	a := e.alloc("win-1")
	asg, err := a.Assign(ctx(t), req("c1"), datastore.Query{})
	if err != nil {
		t.Fatal(err)
	}
	// Calico's walk for "win-1" decides the block; pods start at .3.
	if asg.Addr != asg.Block.Addr().Next().Next().Next() || asg.Block.Bits() != 26 {
		t.Fatalf("first address %s in block %s, want the block's .3", asg.Addr, asg.Block)
	}
	blockKey := "/calico/ipam/v2/assignment/ipv4/block/" + datastore.BlockKeySuffix(asg.Block)
	raw, ok := e.srv.Get(t, blockKey)
	if !ok {
		t.Fatalf("no block at %s", blockKey)
	}
	var b map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatal(err)
	}
	wantAllocs := "[0,0,0,1," + strings.Repeat("null,", 59) + "0]"
	if string(b["allocations"]) != wantAllocs {
		t.Errorf("allocations = %s\nwant %s", b["allocations"], wantAllocs)
	}
	if !strings.HasPrefix(string(b["attributes"]), `[{"handle_id":"windows-reserved-ipam-handle","secondary":{"note":"windows host rsvd"}},{"handle_id":"Calico.c1","secondary":{"namespace":"default","node":"win-1","pod":"pod-c1","timestamp":"`) {
		t.Errorf("attributes = %s", b["attributes"])
	}
	if string(b["affinity"]) != `"host:win-1"` || !strings.HasPrefix(string(b["unallocated"]), "[4,5,") || !strings.HasSuffix(string(b["unallocated"]), ",62]") {
		t.Errorf("affinity %s unallocated %s", b["affinity"], b["unallocated"])
	}
	var seq uint64
	json.Unmarshal(b["sequenceNumber"], &seq)
	if string(b["sequenceNumberForAllocation"]) != fmt.Sprintf(`{"3":%d}`, seq-1) {
		t.Errorf("sequenceNumberForAllocation = %s (sequenceNumber %d)", b["sequenceNumberForAllocation"], seq)
	}
	aff, _ := e.srv.Get(t, "/calico/ipam/v2/host/win-1/ipv4/block/"+datastore.BlockKeySuffix(asg.Block))
	if aff != `{"state":"confirmed","deleted":false}` {
		t.Errorf("affinity value = %q", aff)
	}
	h, _ := e.srv.Get(t, "/calico/ipam/v2/handle/Calico.c1")
	if h != fmt.Sprintf(`{"block":{"%s":1},"deleted":false}`, asg.Block) {
		t.Errorf("handle value = %q", h)
	}
	if n := len(e.srv.List(t, "/calico/ipam/v2/handle/")); n != 1 {
		t.Errorf("%d handles, want 1 (no handle object for the reservations)", n)
	}
}

func TestRepeatedAssignReturnsSameAddressIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	a := e.alloc("win-1")
	first, err := a.Assign(ctx(t), req("c1"), datastore.Query{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.Assign(ctx(t), req("c1"), datastore.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Addr != first.Addr || !again.Existing {
		t.Fatalf("repeated ADD got %s (existing=%v), want %s", again.Addr, again.Existing, first.Addr)
	}
	held, _ := a.Addresses(ctx(t), "Calico.c1")
	if len(held) != 1 {
		t.Fatalf("handle holds %v, want exactly one address", held)
	}
}

func TestStrictAffinityOffIsRefusedIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, false, 0)
	_, err := e.alloc("win-1").Assign(ctx(t), req("c1"), datastore.Query{})
	if err == nil || err.Error() != "global strict affinity should not be false for Windows node" {
		t.Fatalf("err = %v", err)
	}
	if kvs := e.srv.List(t, "/calico/ipam/v2/"); len(kvs) != 1 { // only the config
		t.Fatalf("a refused ADD wrote %d IPAM keys", len(kvs)-1)
	}
}

// Calico's FV case 11: pool 10.0.0.0/26 of /29 blocks, single network: four
// pods fit, the fifth hits the per-host block limit.
func TestSingleNetworkBlockLimitIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/26", 29, true, 0)
	a := e.alloc("win-1")
	for i := 0; i < 4; i++ {
		r := req(fmt.Sprint("c", i))
		r.MaxBlocks = 1
		if _, err := a.Assign(ctx(t), r, datastore.Query{}); err != nil {
			t.Fatalf("pod %d: %v", i, err)
		}
	}
	r := req("c5")
	r.MaxBlocks = 1
	_, err := a.Assign(ctx(t), r, datastore.Query{})
	if !errors.Is(err, ipam.ErrBlockLimit) || err.Error() != "cannot allocate new block due to per host block limit" {
		t.Fatalf("fifth pod: %v, want the block-limit error", err)
	}
	if _, ok := e.srv.Get(t, "/calico/ipam/v2/handle/Calico.c5"); ok {
		t.Fatal("a failed ADD left a handle")
	}
}

func TestAssignRequestedIPIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	a := e.alloc("win-1")
	r := req("c1")
	r.IP = netip.MustParseAddr("10.0.0.140")
	asg, err := a.Assign(ctx(t), r, datastore.Query{})
	if err != nil || asg.Addr != r.IP || asg.Block.String() != "10.0.0.128/26" {
		t.Fatalf("IP= got %v, %v", asg, err)
	}
	for _, tc := range []struct{ ip, want string }{
		{"10.0.0.140", "already in use"},
		{"10.0.0.129", "reserved on Windows"},
		{"10.0.1.5", "not in any enabled IP pool"},
	} {
		r := req("c2")
		r.IP = netip.MustParseAddr(tc.ip)
		_, err := a.Assign(ctx(t), r, datastore.Query{})
		if !errors.Is(err, ipam.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("IP=%s: %v, want %q", tc.ip, err, tc.want)
		}
	}
	// Released, the address can be requested again (Calico FV case 8).
	if _, err := a.Release(ctx(t), "Calico.c1"); err != nil {
		t.Fatal(err)
	}
	r2 := req("c3")
	r2.IP = netip.MustParseAddr("10.0.0.140")
	if _, err := a.Assign(ctx(t), r2, datastore.Query{}); err != nil {
		t.Fatalf("re-requesting a released IP: %v", err)
	}
}

func TestSequentialAssignReleaseLeavesNothingIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	a := e.alloc("win-1")
	seen := map[netip.Addr]int{}
	for i := 0; i < 200; i++ {
		id := fmt.Sprint("s", i)
		asg, err := a.Assign(ctx(t), req(id), datastore.Query{})
		if err != nil {
			t.Fatalf("ADD %d: %v", i, err)
		}
		seen[asg.Addr]++
		freed, err := a.Release(ctx(t), "Calico."+id)
		if err != nil || len(freed) != 1 || freed[0] != asg.Addr {
			t.Fatalf("DEL %d: freed %v, %v", i, freed, err)
		}
		if _, err := a.Release(ctx(t), "Calico."+id); err != nil {
			t.Fatalf("second DEL %d: %v", i, err)
		}
	}
	// FIFO reuse: 200 pods over a 60-address block cycle through all of them.
	if len(seen) != 60 {
		t.Errorf("used %d distinct addresses, want 60 (FIFO over the block)", len(seen))
	}
	if hs := e.srv.List(t, "/calico/ipam/v2/handle/"); len(hs) != 0 {
		t.Errorf("%d handles left", len(hs))
	}
	blocks := e.srv.List(t, "/calico/ipam/v2/assignment/")
	if len(blocks) != 1 || !strings.Contains(blocks[0].Value, `"attributes":[{"handle_id":"windows-reserved-ipam-handle"`) ||
		strings.Count(blocks[0].Value, "handle_id") != 1 {
		t.Errorf("the block should hold only the reservations: %v", blocks)
	}
}

func TestGCReleasesOnlyStaleHandlesOfThisNodeIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	e.srv.PutNode(t, "win-2", nil)
	a, other := e.alloc("win-1"), e.alloc("win-2")
	for _, id := range []string{"keep", "stale1", "stale2"} {
		if _, err := a.Assign(ctx(t), req(id), datastore.Query{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.Assign(ctx(t), req("remote"), datastore.Query{}); err != nil {
		t.Fatal(err)
	}
	released, err := a.GC(ctx(t), func(h string, _ map[string]string) bool { return h != "Calico.keep" })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(released) != "[Calico.stale1 Calico.stale2]" {
		t.Fatalf("GC released %v", released)
	}
	for h, want := range map[string]bool{"Calico.keep": true, "Calico.stale1": false, "Calico.remote": true} {
		if _, ok := e.srv.Get(t, "/calico/ipam/v2/handle/"+h); ok != want {
			t.Errorf("handle %s present=%v, want %v", h, ok, want)
		}
	}
}

func TestNoNodeIsRetryableIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	_, err := e.alloc("unknown-node").Assign(ctx(t), req("c1"), datastore.Query{})
	if !errors.Is(err, ipam.ErrNoNode) {
		t.Fatalf("err = %v, want ErrNoNode", err)
	}
}

type memHint struct{ h ipam.Hint }

func (m *memHint) Load() ipam.Hint   { return m.h }
func (m *memHint) Store(h ipam.Hint) { m.h = h }

// Steady state with the block hint: one read, one commit. Without a hint:
// read, read blocks, commit. Release: three.
func TestRoundTripsIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	a := e.alloc("win-1")
	hinted := e.alloc("win-1")
	hinted.Hint = &memHint{}
	if _, err := a.Assign(ctx(t), req("warm"), datastore.Query{}); err != nil {
		t.Fatal(err)
	}
	before := e.store.RoundTrips()
	if _, err := a.Assign(ctx(t), req("c1"), datastore.Query{ClusterInfo: true}); err != nil {
		t.Fatal(err)
	}
	if n := e.store.RoundTrips() - before; n != 3 {
		t.Errorf("steady-state assign without a hint took %d round trips, want 3", n)
	}
	if _, err := hinted.Assign(ctx(t), req("c2"), datastore.Query{}); err != nil {
		t.Fatal(err)
	}
	before = e.store.RoundTrips()
	if _, err := hinted.Assign(ctx(t), req("c3"), datastore.Query{ClusterInfo: true}); err != nil {
		t.Fatal(err)
	}
	if n := e.store.RoundTrips() - before; n != 2 {
		t.Errorf("steady-state assign with the hint took %d round trips, want 2", n)
	}
	// A stale hint (a block this host does not own) is ignored.
	hinted.Hint = &memHint{h: ipam.Hint{CIDR: netip.MustParsePrefix("10.0.0.0/26")}}
	if asg, err := hinted.Assign(ctx(t), req("c4"), datastore.Query{}); err != nil || asg.Block.String() != "10.0.0.128/26" {
		t.Fatalf("with a stale hint: %v, %v", asg, err)
	}
	before = e.store.RoundTrips()
	if _, err := a.Release(ctx(t), "Calico.c1", "default.pod-c1"); err != nil {
		t.Fatal(err)
	}
	if n := e.store.RoundTrips() - before; n != 3 {
		t.Errorf("release took %d round trips, want 3", n)
	}
}

// Claiming a block in a cluster with 2,000 blocks costs a few keys-only
// batches, not a list of every block.
func TestClaimInLargeClusterIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/13", 26, true, 0)
	// Fill the first 2,000 candidates of win-1's walk with other hosts' blocks.
	var cands []netip.Prefix
	for i, c := range ipam.Candidates(netip.MustParsePrefix("10.0.0.0/13"), 26, "win-1", 2000) {
		cands = append(cands, c)
		e.srv.Put(t, "/calico/ipam/v2/assignment/ipv4/block/"+datastore.BlockKeySuffix(c), fmt.Sprintf(`{"cidr":"%s","affinity":"host:other-%d","allocations":[],"unallocated":[],"attributes":[],"sequenceNumber":0,"sequenceNumberForAllocation":{},"deleted":false}`, c, i))
	}
	before := e.store.RoundTrips()
	asg, err := e.alloc("win-1").Assign(ctx(t), req("c1"), datastore.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c == asg.Block {
			t.Fatalf("claimed %s, which another host owns", c)
		}
	}
	// 1 read + 1 (no blocks to read: skipped) + ceil(2001/64)=32 existence checks + 1 commit.
	if n := e.store.RoundTrips() - before; n > 35 {
		t.Errorf("claim took %d round trips", n)
	}
}

// A block left empty and without affinity (its host released it) is deleted
// with the last release; an affine empty block stays.
func TestReleaseDeletesEmptyUnaffineBlockIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	a := e.alloc("win-1")
	asg, err := a.Assign(ctx(t), req("c1"), datastore.Query{})
	if err != nil {
		t.Fatal(err)
	}
	key := "/calico/ipam/v2/assignment/ipv4/block/" + datastore.BlockKeySuffix(asg.Block)
	raw, _ := e.srv.Get(t, key)
	e.srv.Put(t, key, strings.Replace(raw, `"affinity":"host:win-1"`, `"affinity":null`, 1))
	if _, err := a.Release(ctx(t), "Calico.c1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.srv.Get(t, key); ok {
		t.Fatal("the empty block without affinity was kept")
	}
	// With affinity, the emptied block stays for the host's next pods.
	asg, err = a.Assign(ctx(t), req("c2"), datastore.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Release(ctx(t), "Calico.c2"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.srv.Get(t, "/calico/ipam/v2/assignment/ipv4/block/"+datastore.BlockKeySuffix(asg.Block)); !ok {
		t.Fatal("an affine empty block was deleted")
	}
}

// Addresses an IPReservation holds are never handed out: skipped in the
// free list and refused with IP=.
func TestIPReservationsIntegration(t *testing.T) {
	e := newEnv(t, "10.0.0.0/24", 26, true, 0)
	e.srv.PutIPReservation(t, "keep-out", []string{"10.0.0.131/32", "10.0.0.132/31"})
	a := e.alloc("win-1")
	asg, err := a.Assign(ctx(t), req("c1"), datastore.Query{})
	if err != nil || asg.Addr.String() != "10.0.0.134" {
		t.Fatalf("first address %v, %v; want 10.0.0.134 (.131–.133 reserved)", asg, err)
	}
	r := req("c2")
	r.IP = netip.MustParseAddr("10.0.0.132")
	if _, err := a.Assign(ctx(t), r, datastore.Query{}); !errors.Is(err, ipam.ErrInvalidRequest) || !strings.Contains(err.Error(), "IPReservation") {
		t.Fatalf("IP= of a reserved address: %v", err)
	}
	// The hinted path honours them too.
	hinted := e.alloc("win-1")
	hinted.Hint = &memHint{h: ipam.Hint{CIDR: asg.Block}}
	e.srv.PutIPReservation(t, "next", []string{"10.0.0.135/32"})
	if asg2, err := hinted.Assign(ctx(t), req("c3"), datastore.Query{}); err != nil || asg2.Addr.String() != "10.0.0.136" {
		t.Fatalf("hinted: %v, %v; want 10.0.0.136", asg2, err)
	}
}
