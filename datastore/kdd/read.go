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
	r := &reading{s: s, snap: &datastore.Snapshot{
		Handles:   map[string]datastore.Versioned[datastore.Handle]{},
		Blocks:    map[netip.Prefix]datastore.Versioned[datastore.Block]{},
		Endpoints: map[datastore.WEPKey]datastore.Versioned[datastore.WorkloadEndpoint]{},
	}}
	r.cluster(q)
	r.affinities(q)
	r.ipam(q)
	for _, k := range q.Endpoints {
		r.add(func(ctx context.Context) error {
			w, err := s.readEndpoint(ctx, k)
			if w != nil {
				r.locked(func() { r.snap.Endpoints[k] = *w })
			}
			return err
		})
	}
	if err := parallel(ctx, r.tasks); err != nil {
		return nil, err
	}
	return r.snap, nil
}

// reading is one Read: its requests, run in parallel, each filling its
// part of the snapshot.
type reading struct {
	s     *Store
	snap  *datastore.Snapshot
	mu    sync.Mutex // guards snap
	tasks []func(context.Context) error
}

func (r *reading) add(t func(context.Context) error) { r.tasks = append(r.tasks, t) }

func (r *reading) locked(f func()) { r.mu.Lock(); f(); r.mu.Unlock() }

// cluster adds the cluster-wide objects: IPAM config, pools, reservations,
// ClusterInformation, the Node.
func (r *reading) cluster(q datastore.Query) {
	s, snap := r.s, r.snap
	if q.Config {
		r.add(func(ctx context.Context) error {
			o, err := getObject[ipamConfigSpec](ctx, s, ipamConfigs, "default")
			if o != nil {
				r.locked(func() { snap.Config = toIPAMConfig(o) })
			}
			return err
		})
	}
	if q.Pools {
		snap.Pools = []datastore.IPPool{}
		r.add(func(ctx context.Context) error {
			objs, err := listObjects[ipPoolSpec](ctx, s, ipPools, "")
			for _, o := range objs {
				p, perr := toPool(o)
				if perr != nil {
					return perr
				}
				r.locked(func() { snap.Pools = append(snap.Pools, p) })
			}
			return err
		})
	}
	if q.Reservations {
		snap.Reservations = []netip.Prefix{}
		r.add(func(ctx context.Context) error {
			objs, err := listObjects[ipReservationSpec](ctx, s, ipReservations, "")
			for _, o := range objs {
				for _, c := range o.Spec.ReservedCIDRs {
					p, perr := datastore.ParseReservedCIDR(c)
					if perr != nil {
						return fmt.Errorf("IPReservation %s: %w", o.Metadata.Name, perr)
					}
					r.locked(func() { snap.Reservations = append(snap.Reservations, p) })
				}
			}
			return err
		})
	}
	if q.ClusterInfo {
		r.add(func(ctx context.Context) error {
			o, err := getObject[clusterInfoSpec](ctx, s, clusterInformations, "default")
			if o != nil {
				r.locked(func() { snap.ClusterInfo = &datastore.ClusterInformation{DatastoreReady: o.Spec.DatastoreReady} })
			}
			return err
		})
	}
	if q.Node != "" {
		r.add(func(ctx context.Context) error {
			n, err := s.c.GetNode(ctx, q.Node)
			if errors.Is(err, datastore.ErrNotFound) {
				return nil
			}
			if err == nil {
				r.locked(func() { snap.Node = toNode(n) })
			}
			return err
		})
	}
}

// affinities adds a host's affinities: all of them (one list), or those of
// q.AffinityCIDRs (one GET each).
func (r *reading) affinities(q datastore.Query) {
	s, snap := r.s, r.snap
	if q.Affinities == "" {
		return
	}
	snap.Affinities = []datastore.Versioned[datastore.Affinity]{}
	if len(q.AffinityCIDRs) == 0 {
		r.add(func(ctx context.Context) error {
			affs, err := s.hostAffinities(ctx, q.Affinities)
			r.locked(func() { snap.Affinities = affs })
			return err
		})
		return
	}
	for _, cidr := range q.AffinityCIDRs {
		r.add(func(ctx context.Context) error {
			o, err := getObject[affinitySpec](ctx, s, blockAffinities, affinityName(q.Affinities, cidr))
			if o == nil || err != nil || o.Spec.Node != q.Affinities || (o.Spec.Type != "" && o.Spec.Type != affinityTypeHost) {
				return err
			}
			a, err := toAffinity(o)
			r.locked(func() {
				snap.Affinities = append(snap.Affinities, datastore.Versioned[datastore.Affinity]{Value: a, Rev: o.Metadata.ResourceVersion})
			})
			return err
		})
	}
}

// ipam adds the handles and blocks.
func (r *reading) ipam(q datastore.Query) {
	s, snap := r.s, r.snap
	for _, id := range q.Handles {
		if checkHandleID(id) != nil {
			continue // no such object can exist
		}
		r.add(func(ctx context.Context) error {
			o, err := getObject[handleSpec](ctx, s, ipamHandles, handleName(id))
			if o != nil {
				r.locked(func() {
					snap.Handles[id] = datastore.Versioned[datastore.Handle]{Value: toHandle(o), Rev: o.Metadata.ResourceVersion}
				})
			}
			return err
		})
	}
	// keep records block o under cidr (its own CIDR when not valid).
	keep := func(o *object[blockSpec], cidr netip.Prefix) error {
		b, err := toBlock(o)
		if err != nil {
			return err
		}
		if !cidr.IsValid() {
			cidr = b.CIDR
		}
		r.locked(func() {
			snap.Blocks[cidr] = datastore.Versioned[datastore.Block]{Value: b, Rev: o.Metadata.ResourceVersion}
		})
		return nil
	}
	for _, cidr := range q.Blocks {
		r.add(func(ctx context.Context) error {
			o, err := getObject[blockSpec](ctx, s, ipamBlocks, blockName(cidr))
			if o == nil || err != nil {
				return err
			}
			return keep(o, cidr)
		})
	}
	if q.AllBlocks {
		r.add(func(ctx context.Context) error {
			objs, err := listObjects[blockSpec](ctx, s, ipamBlocks, "")
			for _, o := range objs {
				if !isIPv4Block(o) {
					continue
				}
				if berr := keep(o, netip.Prefix{}); berr != nil {
					return berr
				}
			}
			return err
		})
	}
}

// isIPv4Block tells whether o is an IPv4 block (AllBlocks leaves IPv6 ones
// out). One whose CIDR does not parse is kept, for toBlock to report.
func isIPv4Block(o *object[blockSpec]) bool {
	p, err := netip.ParsePrefix(o.Spec.CIDR)
	return err != nil || p.Addr().Is4()
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
