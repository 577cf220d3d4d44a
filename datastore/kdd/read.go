package kdd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// Read fetches everything q names with one request per object or list, all
// in parallel: a Read costs one round trip of latency. Objects carrying
// Calico's soft-delete mark are absent (and their delete is finished).
// Unlike etcd's, the Snapshot is not taken at one revision.
func (s *Store) Read(ctx context.Context, q datastore.Query) (*datastore.Snapshot, error) {
	snap := &datastore.Snapshot{
		Handles:   map[string]datastore.Versioned[datastore.Handle]{},
		Blocks:    map[netip.Prefix]datastore.Versioned[datastore.Block]{},
		Endpoints: map[datastore.WEPKey]datastore.Versioned[datastore.WorkloadEndpoint]{},
	}
	var mu sync.Mutex // guards snap
	locked := func(f func()) { mu.Lock(); f(); mu.Unlock() }
	var tasks []func(context.Context) error

	if q.Config {
		tasks = append(tasks, func(ctx context.Context) error {
			o, err := getObject[ipamConfigSpec](ctx, s, ipamConfigs, "default")
			if o != nil {
				locked(func() { snap.Config = toIPAMConfig(o) })
			}
			return err
		})
	}
	if q.Pools {
		snap.Pools = []datastore.IPPool{}
		tasks = append(tasks, func(ctx context.Context) error {
			objs, err := listObjects[ipPoolSpec](ctx, s, ipPools, "")
			for _, o := range objs {
				p, perr := toPool(o)
				if perr != nil {
					return perr
				}
				locked(func() { snap.Pools = append(snap.Pools, p) })
			}
			return err
		})
	}
	if q.Reservations {
		snap.Reservations = []netip.Prefix{}
		tasks = append(tasks, func(ctx context.Context) error {
			objs, err := listObjects[ipReservationSpec](ctx, s, ipReservations, "")
			for _, o := range objs {
				for _, c := range o.Spec.ReservedCIDRs {
					p, perr := datastore.ParseReservedCIDR(c)
					if perr != nil {
						return fmt.Errorf("IPReservation %s: %w", o.Metadata.Name, perr)
					}
					locked(func() { snap.Reservations = append(snap.Reservations, p) })
				}
			}
			return err
		})
	}
	if q.ClusterInfo {
		tasks = append(tasks, func(ctx context.Context) error {
			o, err := getObject[clusterInfoSpec](ctx, s, clusterInformations, "default")
			if o != nil {
				locked(func() { snap.ClusterInfo = &datastore.ClusterInformation{DatastoreReady: o.Spec.DatastoreReady} })
			}
			return err
		})
	}
	if q.Node != "" {
		tasks = append(tasks, func(ctx context.Context) error {
			n, err := s.c.GetNode(ctx, q.Node)
			if errors.Is(err, datastore.ErrNotFound) {
				return nil
			}
			if err == nil {
				locked(func() { snap.Node = toNode(n) })
			}
			return err
		})
	}
	if q.Affinities != "" && len(q.AffinityCIDRs) == 0 {
		snap.Affinities = []datastore.Versioned[datastore.Affinity]{}
		tasks = append(tasks, func(ctx context.Context) error {
			affs, err := s.hostAffinities(ctx, q.Affinities)
			locked(func() { snap.Affinities = affs })
			return err
		})
	}
	if q.Affinities != "" && len(q.AffinityCIDRs) > 0 {
		snap.Affinities = []datastore.Versioned[datastore.Affinity]{}
		for _, cidr := range q.AffinityCIDRs {
			tasks = append(tasks, func(ctx context.Context) error {
				o, err := getObject[affinitySpec](ctx, s, blockAffinities, affinityName(q.Affinities, cidr))
				if o == nil || err != nil || o.Spec.Node != q.Affinities || (o.Spec.Type != "" && o.Spec.Type != affinityTypeHost) {
					return err
				}
				a, err := toAffinity(o)
				locked(func() {
					snap.Affinities = append(snap.Affinities, datastore.Versioned[datastore.Affinity]{Value: a, Rev: o.Metadata.ResourceVersion})
				})
				return err
			})
		}
	}
	for _, id := range q.Handles {
		if checkHandleID(id) != nil {
			continue // no such object can exist
		}
		tasks = append(tasks, func(ctx context.Context) error {
			o, err := getObject[handleSpec](ctx, s, ipamHandles, handleName(id))
			if o != nil {
				locked(func() {
					snap.Handles[id] = datastore.Versioned[datastore.Handle]{Value: toHandle(o), Rev: o.Metadata.ResourceVersion}
				})
			}
			return err
		})
	}
	for _, cidr := range q.Blocks {
		tasks = append(tasks, func(ctx context.Context) error {
			o, err := getObject[blockSpec](ctx, s, ipamBlocks, blockName(cidr))
			if o == nil || err != nil {
				return err
			}
			b, err := toBlock(o)
			locked(func() {
				snap.Blocks[cidr] = datastore.Versioned[datastore.Block]{Value: b, Rev: o.Metadata.ResourceVersion}
			})
			return err
		})
	}
	if q.AllBlocks {
		tasks = append(tasks, func(ctx context.Context) error {
			objs, err := listObjects[blockSpec](ctx, s, ipamBlocks, "")
			for _, o := range objs {
				b, berr := toBlock(o)
				if berr != nil {
					return berr
				}
				if b.CIDR.Addr().Is4() {
					locked(func() {
						snap.Blocks[b.CIDR] = datastore.Versioned[datastore.Block]{Value: b, Rev: o.Metadata.ResourceVersion}
					})
				}
			}
			return err
		})
	}
	for _, k := range q.Endpoints {
		tasks = append(tasks, func(ctx context.Context) error {
			w, err := s.readEndpoint(ctx, k)
			if w != nil {
				locked(func() { snap.Endpoints[k] = *w })
			}
			return err
		})
	}
	if err := parallel(ctx, tasks); err != nil {
		return nil, err
	}
	return snap, nil
}

// hostAffinities lists one host's affinities by label selector.
func (s *Store) hostAffinities(ctx context.Context, host string) ([]datastore.Versioned[datastore.Affinity], error) {
	objs, err := listObjects[affinitySpec](ctx, s, blockAffinities, affinitySelector(host))
	affs := []datastore.Versioned[datastore.Affinity]{}
	for _, o := range objs {
		// The hash in the selector could collide: the spec has the host.
		if o.Spec.Node != host || (o.Spec.Type != "" && o.Spec.Type != affinityTypeHost) {
			continue
		}
		a, err := toAffinity(o)
		if err != nil {
			return nil, err
		}
		affs = append(affs, datastore.Versioned[datastore.Affinity]{Value: a, Rev: o.Metadata.ResourceVersion})
	}
	return affs, err
}

// parallel runs tasks at once and returns the first failure, cancelling the
// others when one fails.
func parallel(ctx context.Context, tasks []func(context.Context) error) error {
	switch len(tasks) {
	case 0:
		return nil
	case 1:
		return tasks[0](ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		wg.Go(func() {
			if errs[i] = task(ctx); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	for _, err := range errs { // the cause, not the cancellations it caused
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// getObject reads one object: nil when it does not exist or carries the
// soft-delete mark, whose delete it then finishes, as libcalico-go's
// readers do.
func getObject[S any](ctx context.Context, s *Store, r k8s.Resource, name string) (*object[S], error) {
	var raw json.RawMessage
	err := s.c.Get(ctx, r, name, &raw)
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := decode[S](r, raw)
	if err != nil || o == nil {
		return nil, err
	}
	if markedDeleted(o) {
		s.finishDelete(ctx, r, o.Metadata)
		return nil, nil
	}
	s.remember(r, o.Metadata, raw)
	return o, nil
}

// listObjects lists the objects of r matching selector, leaving out those
// marked deleted.
func listObjects[S any](ctx context.Context, s *Store, r k8s.Resource, selector string) ([]*object[S], error) {
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := s.c.List(ctx, r, selector, &l); err != nil {
		return nil, err
	}
	objs := make([]*object[S], 0, len(l.Items))
	for _, raw := range l.Items {
		o, err := decode[S](r, raw)
		if err != nil {
			return nil, err
		}
		if !markedDeleted(o) {
			s.remember(r, o.Metadata, raw)
			objs = append(objs, o)
		}
	}
	return objs, nil
}

func decode[S any](r k8s.Resource, raw json.RawMessage) (*object[S], error) {
	var o object[S]
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", r.Plural, err)
	}
	return &o, nil
}

// finishDelete deletes an object another writer marked deleted and left
// (it crashed, or has not got there yet). Losing that race is fine.
func (s *Store) finishDelete(ctx context.Context, r k8s.Resource, m meta) {
	err := s.c.Delete(ctx, r, m.Name, k8s.Preconditions{UID: m.UID, ResourceVersion: m.ResourceVersion})
	if err != nil && !errors.Is(err, datastore.ErrNotFound) && !errors.Is(err, datastore.ErrConflict) {
		slog.Warn("could not finish the delete of an object marked deleted", "resource", r.Plural, "name", m.Name, "err", err)
	}
}

// ipReservationSpec is the v1 IPReservationSpec.
type ipReservationSpec struct {
	ReservedCIDRs []string `json:"reservedCIDRs"`
}
