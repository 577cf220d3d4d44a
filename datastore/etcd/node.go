package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/calico-win/cni/datastore"
)

// SetVXLANTunnel implements datastore.NodeStore: a read and a
// compare-and-swap of the Node, retried when another writer got in between.
// Fields the plugin does not know are kept as they were.
func (s *Store) SetVXLANTunnel(ctx context.Context, node string, t datastore.VXLANTunnel) error {
	key := nodeKey(node)
	for attempt := 0; attempt < 3; attempt++ {
		resps, err := s.ranges(ctx, []rangeRequest{get(key)})
		if err != nil {
			return err
		}
		if len(resps[0].KVs) == 0 {
			return fmt.Errorf("%w: %s", datastore.ErrNotFound, key)
		}
		kv := resps[0].KVs[0]
		value, err := withTunnel(kv.Value, t)
		if err != nil {
			return fmt.Errorf("etcd: Node %s: %w", key, err)
		}
		_, err = s.commit(ctx, []write{{op: datastore.Update, key: key, rev: revString(kv.ModRevision), value: value}})
		if !errors.Is(err, datastore.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("setting the VXLAN tunnel of node %s: %w", node, datastore.ErrConflict)
}

// storedNode is a v3 Node as stored, in Calico's field order; the spec's
// and status's own fields are passed through untouched (spec's keys come
// out sorted).
type storedNode struct {
	Kind       string          `json:"kind"`
	APIVersion string          `json:"apiVersion"`
	Metadata   json.RawMessage `json:"metadata"`
	Spec       json.RawMessage `json:"spec,omitempty"`
	Status     json.RawMessage `json:"status,omitempty"`
}

func withTunnel(raw []byte, t datastore.VXLANTunnel) ([]byte, error) {
	var n storedNode
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	spec := map[string]json.RawMessage{}
	if len(n.Spec) > 0 {
		if err := json.Unmarshal(n.Spec, &spec); err != nil {
			return nil, err
		}
	}
	set := func(k, v string) {
		if v == "" {
			delete(spec, k)
			return
		}
		b, _ := json.Marshal(v)
		spec[k] = b
	}
	set("ipv4VXLANTunnelAddr", t.Addr)
	set("vxlanTunnelMACAddr", t.MAC)
	var err error
	if n.Spec, err = json.Marshal(spec); err != nil {
		return nil, err
	}
	return json.Marshal(n)
}
