package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/calico-win/cni/datastore"
)

// Read fetches everything q names in one etcd transaction (a transaction
// with no compares whose success branch is one range per object or prefix),
// so the Snapshot is consistent at one revision.
func (s *Store) Read(ctx context.Context, q datastore.Query) (*datastore.Snapshot, error) {
	snap := &datastore.Snapshot{
		Handles:   map[string]datastore.Versioned[datastore.Handle]{},
		Blocks:    map[netip.Prefix]datastore.Versioned[datastore.Block]{},
		Endpoints: map[datastore.WEPKey]datastore.Versioned[datastore.WorkloadEndpoint]{},
	}
	var ops []rangeRequest
	var apply []func(kvs []keyValue) error
	add := func(r rangeRequest, f func(kv keyValue) error) {
		ops = append(ops, r)
		apply = append(apply, func(kvs []keyValue) error {
			for _, kv := range kvs {
				if err := f(kv); err != nil {
					return err
				}
			}
			return nil
		})
	}

	if q.Config {
		add(get(ipamConfigKey), func(kv keyValue) error {
			var c datastore.IPAMConfig
			err := decodeValue(kv, &c)
			snap.Config = &c
			return err
		})
	}
	if q.Pools {
		snap.Pools = []datastore.IPPool{}
		add(list(ipPoolPrefix), func(kv keyValue) error {
			p, err := decodeIPPool(kv)
			snap.Pools = append(snap.Pools, p)
			return err
		})
	}
	if q.Reservations {
		snap.Reservations = []netip.Prefix{}
		add(list(reservationsPrefix), func(kv keyValue) error {
			var r struct {
				Spec struct {
					ReservedCIDRs []string `json:"reservedCIDRs"`
				} `json:"spec"`
			}
			if err := decodeValue(kv, &r); err != nil {
				return err
			}
			for _, c := range r.Spec.ReservedCIDRs {
				p, err := datastore.ParseReservedCIDR(c)
				if err != nil {
					return fmt.Errorf("etcd: IPReservation %s: %w", kv.Key, err)
				}
				snap.Reservations = append(snap.Reservations, p)
			}
			return nil
		})
	}
	if q.ClusterInfo {
		add(get(clusterInfoKey), func(kv keyValue) (err error) {
			snap.ClusterInfo, err = decodeClusterInfo(kv)
			return err
		})
	}
	if q.Node != "" {
		add(get(nodeKey(q.Node)), func(kv keyValue) (err error) {
			snap.Node, err = decodeNode(kv)
			return err
		})
	}
	if q.Affinities != "" {
		snap.Affinities = []datastore.Versioned[datastore.Affinity]{}
		decode := func(kv keyValue) error {
			a, err := decodeAffinity(q.Affinities, kv)
			snap.Affinities = append(snap.Affinities, a)
			return err
		}
		if len(q.AffinityCIDRs) == 0 {
			add(list(affinityPrefix(q.Affinities)), decode)
		}
		for _, cidr := range q.AffinityCIDRs {
			add(get(affinityKey(q.Affinities, cidr)), decode)
		}
	}
	for _, id := range q.Handles {
		add(get(handleKey(id)), func(kv keyValue) error {
			h := datastore.Versioned[datastore.Handle]{Rev: revString(kv.ModRevision)}
			err := decodeValue(kv, &h.Value)
			h.Value.HandleID = id
			snap.Handles[id] = h
			return err
		})
	}
	for _, cidr := range q.Blocks {
		add(get(blockKey(cidr)), func(kv keyValue) error {
			var b datastore.Block
			err := decodeValue(kv, &b)
			snap.Blocks[cidr] = datastore.Versioned[datastore.Block]{Value: b, Rev: revString(kv.ModRevision)}
			return err
		})
	}
	if q.AllBlocks {
		add(list(blockPrefix("ipv4")), func(kv keyValue) error {
			var b datastore.Block
			err := decodeValue(kv, &b)
			snap.Blocks[b.CIDR] = datastore.Versioned[datastore.Block]{Value: b, Rev: revString(kv.ModRevision)}
			return err
		})
	}
	for _, k := range q.Endpoints {
		add(get(endpointKey(k)), func(kv keyValue) error {
			w, err := decodeEndpoint(kv)
			if err == nil {
				snap.Endpoints[k] = *w
			}
			return err
		})
	}

	resps, err := s.ranges(ctx, ops)
	if err != nil {
		return nil, err
	}
	for i, r := range resps {
		if err := apply[i](r.KVs); err != nil {
			return nil, err
		}
	}
	return snap, nil
}

// decodeValue unmarshals a value stored in Calico's model JSON.
func decodeValue(kv keyValue, v any) error {
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return fmt.Errorf("etcd: decoding %s: %w", kv.Key, err)
	}
	return nil
}

// decodeAffinity reads an affinity: host and CIDR come from the key, and an
// empty value is a legacy confirmed affinity, read as {}.
func decodeAffinity(host string, kv keyValue) (datastore.Versioned[datastore.Affinity], error) {
	v := datastore.Versioned[datastore.Affinity]{Rev: revString(kv.ModRevision)}
	cidr, err := cidrFromKey(string(kv.Key))
	if err != nil {
		return v, err
	}
	if len(kv.Value) > 0 {
		if err := decodeValue(kv, &v.Value); err != nil {
			return v, err
		}
	}
	v.Value.Host, v.Value.CIDR = host, cidr
	return v, nil
}
