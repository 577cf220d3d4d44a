package plugin

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/calico-win/cni/datastore"
)

// On the Kubernetes datastore every object a DEL reads is an API request of
// its own (on etcd they ride in one transaction), so a DEL there reads
// less up front:
//   - the handles of older Calico versions ("<namespace>.<pod>", or the bare
//     container ID) only when the handle "<network>.<containerID>" is
//     missing. Calico's DEL releases both every time; both exist only for a
//     pod whose old handle leaked under Calico 2.x, which never ran on
//     Windows;
//   - not the endpoint (the pod): it is emptied by one patch conditioned on
//     the pod holding this container's ID (endpointOfDeleter), and read only
//     when that condition fails.

// endpointOfDeleter is a store that can delete the endpoint of one
// container without reading it first (kdd.Store).
type endpointOfDeleter interface {
	DeleteWorkloadEndpointOf(ctx context.Context, k datastore.WEPKey, cid, uid string) error
}

// firstHandles are the handles a DEL's first read asks for.
func (c *call) firstHandles(handles []string) []string {
	if c.perObjectReads() {
		return handles[:1]
	}
	return handles
}

// withLegacyHandles reads the legacy handles into snap when the first read
// left them out and found no handle.
func (c *call) withLegacyHandles(snap *datastore.Snapshot, handles []string) (*datastore.Snapshot, error) {
	if _, ok := snap.Handles[handles[0]]; ok || !c.perObjectReads() || len(handles) == 1 {
		return snap, nil
	}
	more, err := c.store.Read(c.ctx, datastore.Query{Handles: handles[1:]})
	if err != nil {
		return nil, err
	}
	s := *snap
	s.Handles = maps.Clone(snap.Handles)
	if s.Handles == nil {
		s.Handles = map[string]datastore.Versioned[datastore.Handle]{}
	}
	maps.Copy(s.Handles, more.Handles)
	return &s, nil
}

// endpointDeleter is the store's endpointOfDeleter on the Kubernetes
// datastore, else nil (the endpoint is read with the DEL's first read).
func (c *call) endpointDeleter() endpointOfDeleter {
	if !c.perObjectReads() {
		return nil
	}
	d, _ := c.store.(endpointOfDeleter)
	return d
}

// deleteWEPOf deletes this container's endpoint through d, reading it (as
// deleteWEP does) only when the pod does not hold this container's ID.
func (c *call) deleteWEPOf(ctx context.Context, d endpointOfDeleter, k datastore.WEPKey) error {
	err := d.DeleteWorkloadEndpointOf(ctx, k, c.args.ContainerID, c.podUID())
	switch {
	case err == nil, errors.Is(err, datastore.ErrNotFound):
		return nil
	case errors.Is(err, datastore.ErrConflict):
		return c.deleteWEP(ctx, k, nil)
	}
	return fmt.Errorf("deleting WorkloadEndpoint %s/%s: %w", k.Namespace, k.Name, err)
}
