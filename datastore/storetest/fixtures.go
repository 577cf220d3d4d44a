package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/testctx"
)

var (
	blockA = netip.MustParsePrefix("10.244.166.128/26")
	blockB = netip.MustParsePrefix("10.244.166.192/26")
	blockC = netip.MustParsePrefix("10.244.167.0/26")
)

func ctx(t *testing.T) context.Context { return testctx.New(t, 20*time.Second) }

// newBlock is an empty /26 affine to host, as Calico creates it.
func newBlock(cidr netip.Prefix, host string) datastore.Block {
	aff := "host:" + host
	b := datastore.Block{
		CIDR:                        cidr,
		Affinity:                    &aff,
		AffinityClaimTime:           &datastore.ClaimTime{Time: time.Date(2026, 11, 22, 1, 56, 10, 0, time.UTC)},
		Allocations:                 make([]*int, 64),
		Attributes:                  []datastore.Attribute{},
		SequenceNumber:              1795312570694147568,
		SequenceNumberForAllocation: map[string]uint64{},
	}
	for i := range 64 {
		b.Unallocated = append(b.Unallocated, i)
	}
	return b
}

// allocate gives the block's next free ordinal to handle.
func allocate(b *datastore.Block, handle string) {
	ord := b.Unallocated[0]
	b.Unallocated = b.Unallocated[1:]
	idx := len(b.Attributes)
	b.Attributes = append(b.Attributes, datastore.Attribute{
		HandleID:  &handle,
		Secondary: map[string]string{"namespace": "default", "node": "node1", "pod": "pod-" + handle},
	})
	b.Allocations[ord] = &idx
	b.SequenceNumberForAllocation[strconv.Itoa(ord)] = b.SequenceNumber
	b.SequenceNumber++
}

// cloneBlock deep-copies a block read back, so that changing the copy
// leaves the snapshot as it was read.
func cloneBlock(t *testing.T, b datastore.Versioned[datastore.Block]) datastore.Versioned[datastore.Block] {
	t.Helper()
	data, err := json.Marshal(b.Value)
	if err != nil {
		t.Fatal(err)
	}
	var c datastore.Block
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return datastore.Versioned[datastore.Block]{Value: c, Rev: b.Rev}
}

func cloneHandle(h datastore.Versioned[datastore.Handle]) datastore.Versioned[datastore.Handle] {
	h.Value.Block = maps.Clone(h.Value.Block)
	return h
}

func newHandle(id string, counts map[string]int) datastore.Handle {
	return datastore.Handle{HandleID: id, Block: counts}
}

func confirmed(host string, cidr netip.Prefix) datastore.Affinity {
	return datastore.Affinity{Host: host, CIDR: cidr, State: datastore.AffinityConfirmed}
}

func create[T any](v T) datastore.Write[T] { return datastore.Write[T]{Op: datastore.Create, Value: v} }

func update[T any](v T, rev string) datastore.Write[T] {
	return datastore.Write[T]{Op: datastore.Update, Value: v, Rev: rev}
}

func remove[T any](v T, rev string) datastore.Write[T] {
	return datastore.Write[T]{Op: datastore.Delete, Value: v, Rev: rev}
}

func commit(t *testing.T, s datastore.Store, c datastore.Change) {
	t.Helper()
	if err := s.Commit(ctx(t), c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func read(t *testing.T, s datastore.Store, q datastore.Query) *datastore.Snapshot {
	t.Helper()
	snap, err := s.Read(ctx(t), q)
	if err != nil {
		t.Fatalf("Read(%+v): %v", q, err)
	}
	return snap
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// SameJSON compares values by their stored form, which is what matters and
// sidesteps representation details (time locations, nil versus empty). The
// backends' own tests use it too.
func SameJSON(t testing.TB, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}
