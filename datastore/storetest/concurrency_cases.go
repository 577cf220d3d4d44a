package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/calico-win/cni/datastore"
)

// testConcurrentIncrements: writers that read, add one and compare-and-swap,
// retrying when they lose, never lose an increment.
func testConcurrentIncrements(t *testing.T, s datastore.Store, _ Seeder) {
	const writers, retries = 8, 100
	id := "k8s-pod-network.shared"
	key := blockA.String()
	commit(t, s, datastore.Change{Handles: []datastore.Write[datastore.Handle]{create(newHandle(id, map[string]int{key: 0}))}})

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	conflicts := make(chan int, writers)
	for range writers {
		wg.Go(func() {
			for attempt := range retries {
				snap, err := s.Read(ctx(t), datastore.Query{Handles: []string{id}})
				if err != nil {
					errs <- err
					return
				}
				h := cloneHandle(snap.Handles[id])
				h.Value.Block[key]++
				err = s.Commit(ctx(t), datastore.Change{Handles: []datastore.Write[datastore.Handle]{update(h.Value, h.Rev)}})
				if err == nil {
					conflicts <- attempt
					return
				}
				if !errors.Is(err, datastore.ErrConflict) {
					errs <- err
					return
				}
			}
			errs <- fmt.Errorf("no success in %d attempts", retries)
		})
	}
	wg.Wait()
	close(errs)
	close(conflicts)
	for err := range errs {
		t.Errorf("writer: %v", err)
	}
	lost := 0
	for n := range conflicts {
		lost += n
	}
	got := read(t, s, datastore.Query{Handles: []string{id}}).Handles[id].Value.Block[key]
	if got != writers {
		t.Errorf("count = %d after %d increments (%d lost compare-and-swaps retried)", got, writers, lost)
	}
	t.Logf("%d writers, %d lost compare-and-swaps retried", writers, lost)
}
