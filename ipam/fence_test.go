package ipam_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/ipam"
)

// lateStore holds back the Commit of a change that creates a handle, as a
// network holds the last write of an ADD killed while it was on its way:
// the caller gets an error (it is dead), the change lands later, when the
// test sends it (land). Only a change after armed is set is held. beforeCommit, when set, runs once before the next
// Commit of anyone else (the DEL's).
type lateStore struct {
	datastore.IPAMStore
	mu           sync.Mutex
	armed        bool
	held         *datastore.Change
	beforeCommit func()
}

var errKilled = errors.New("killed while the commit was on its way")

func (s *lateStore) Commit(ctx context.Context, c datastore.Change) error {
	s.mu.Lock()
	if s.armed && s.held == nil && len(c.Handles) > 0 && c.Handles[0].Op == datastore.Create {
		s.held = &c
		s.mu.Unlock()
		return errKilled
	}
	f := s.beforeCommit
	s.beforeCommit = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.IPAMStore.Commit(ctx, c)
}

// holds reports whether handle holds an address in b.
func holds(b datastore.Block, handle string) bool {
	for _, ai := range b.Allocations {
		if ai != nil && *ai < len(b.Attributes) {
			if h := b.Attributes[*ai].HandleID; h != nil && *h == handle {
				return true
			}
		}
	}
	return false
}

// A killed ADD's allocation that lands after, or while, the runtime's DEL
// runs must not stay allocated to the dead container.
func TestLateAllocationAfterDelIsFenced(t *testing.T)            { onMem(t, testLateAllocation) }
func TestLateAllocationAfterDelIsFencedIntegration(t *testing.T) { onServers(t, testLateAllocation) }

func testLateAllocation(t *testing.T, b *backend) {
	pool := datastore.IPPool{Name: "late", CIDR: netip.MustParsePrefix("10.77.0.0/24"), BlockSize: 26, NATOutgoing: true}
	b.seed(t, datastore.IPAMConfig{}, pool)
	for i, tc := range []struct {
		name string
		// del runs the DEL; land sends the held change.
		run func(t *testing.T, s *lateStore, del func(), land func() error)
		// landed: the late change must have applied (and then been
		// released); otherwise it must have failed its compare-and-swap.
		landed bool
	}{
		{name: "lands after the DEL", run: func(t *testing.T, s *lateStore, del func(), land func() error) {
			del()
			if err := land(); err == nil {
				t.Error("the late allocation applied after the DEL")
			}
		}},
		{name: "lands between the DEL's read and its write", landed: true, run: func(t *testing.T, s *lateStore, del func(), land func() error) {
			s.beforeCommit = func() {
				if err := land(); err != nil {
					t.Errorf("the late allocation, landing before the fence: %v", err)
				}
			}
			del()
		}},
		{name: "handle lands before the DEL, block after (Kubernetes order)", run: func(t *testing.T, s *lateStore, del func(), land func() error) {
			h := *s.held
			if err := s.IPAMStore.Commit(context.Background(), datastore.Change{Handles: h.Handles}); err != nil {
				t.Fatal(err)
			}
			s.held = &datastore.Change{Blocks: h.Blocks}
			del()
			if err := land(); err == nil {
				t.Error("the late block write applied after the DEL")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &lateStore{IPAMStore: b.store}
			a := &ipam.Allocator{Store: s, Host: "win-1"}
			// A live pod: the block exists, so the killed ADD allocates in
			// it rather than claiming one.
			live := fmt.Sprint("calico.live-", i)
			if _, err := a.Assign(ctx(t), ipam.Request{HandleID: live, MaxBlocks: 1}, datastore.Query{}); err != nil {
				t.Fatal(err)
			}
			dead := fmt.Sprint("calico.dead-", i)
			s.armed = true
			if _, err := a.Assign(ctx(t), ipam.Request{HandleID: dead, MaxBlocks: 1}, datastore.Query{}); !errors.Is(err, errKilled) {
				t.Fatalf("killed ADD: %v", err)
			}
			held := *s.held
			cidr := held.Blocks[0].Value.CIDR
			land := func() error { return b.store.Commit(ctx(t), *s.held) }
			del := func() {
				if _, err := a.Release(ctx(t), dead); err != nil {
					t.Fatalf("DEL: %v", err)
				}
			}
			tc.run(t, s, del, land)
			snap, err := b.store.Read(ctx(t), datastore.Query{Handles: []string{dead, live}, Blocks: []netip.Prefix{cidr}})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := snap.Handles[dead]; ok {
				t.Error("the dead container's handle is left")
			}
			if holds(snap.Blocks[cidr].Value, dead) {
				t.Error("the dead container's address is left allocated")
			}
			if _, ok := snap.Handles[live]; !ok || !holds(snap.Blocks[cidr].Value, live) {
				t.Error("the live pod lost its address")
			}
			if _, err := a.Release(ctx(t), live); err != nil {
				t.Fatal(err)
			}
		})
	}
}
