package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/kdd"
)

// clusterCacheTTL is how long a node serves the cluster-wide objects every
// ADD reads (IPAM config, pools, the Node, ClusterInformation) from its
// cache on the Kubernetes datastore, where each is its own API request
// (IPReservations too).
// Calico's own components watch these through caches too; a change takes
// effect on this node within the TTL.
const clusterCacheTTL = 15 * time.Second

// clusterInfoTTL is how long the cached ClusterInformation counts as ready.
// "calicoctl datastore migrate lock" sets datastoreReady false, and from
// then on no ADD may write: after this long the cache re-reads
// ClusterInformation in the same parallel read as the ADD's other objects
// (one more request, no more latency). ADDs closer together than this, as
// in a burst, cost no extra request.
const clusterInfoTTL = 3 * time.Second

// cachedStore serves those objects from a node-local file for a short TTL.
// Only a healthy answer is cached (config with strict affinity, pools, the
// Node, ready ClusterInformation): a problem is always read afresh, so
// fixing it takes effect at once. Everything else passes through.
type cachedStore struct {
	datastore.Store
	path string
	node string
	now  func() time.Time
	// groupPath is where a discovered API group is kept.
	groupPath string
	// freshReady: ClusterInformation is always read, never served from the
	// entry (DEL and GC must see a migration lock at once).
	freshReady bool
}

type clusterEntry struct {
	At           time.Time
	Node         string
	Config       datastore.IPAMConfig
	Pools        []datastore.IPPool
	Reservations []netip.Prefix
	NodeLabels   map[string]string
	NodeTunnel   datastore.VXLANTunnel
	ClusterInfo  bool
	// ClusterInfoAt is when ClusterInformation was last read ready.
	ClusterInfoAt time.Time
}

func newCachedStore(s datastore.Store, nc *NetConf, node string) *cachedStore {
	return &cachedStore{Store: s, node: node, now: time.Now, path: stateFile(nc, "cluster-cache-"+nc.Name+"-"+node+".json"),
		groupPath: apiGroupFile(nc)}
}

// The API group a discovering Store found is kept on the node with no TTL:
// Calico's group changes only when Calico is reinstalled or migrated, and
// the Store discovers again by itself when a request finds the kept group
// no longer served. So discovery costs one request on a node's first call,
// and none after.

type apiGroupEntry struct {
	Server string // the API server it was discovered on
	Group  string
}

func apiGroupFile(nc *NetConf) string { return stateFile(nc, "api-group-"+nc.Name+".json") }

// knownAPIGroup is the group an earlier call discovered on server, or nil.
func knownAPIGroup(nc *NetConf, server string) *kdd.APIGroup {
	b, err := readState(apiGroupFile(nc))
	if err != nil {
		return nil
	}
	var e apiGroupEntry
	if json.Unmarshal(b, &e) != nil || e.Server != server {
		return nil
	}
	g, err := kdd.ParseAPIGroup(e.Group)
	if err != nil {
		return nil
	}
	return g
}

// Close keeps the API group, then closes the Store.
// DeleteWorkloadEndpointOf is the Store's (kdd.Store has it).
func (c *cachedStore) DeleteWorkloadEndpointOf(ctx context.Context, k datastore.WEPKey, cid, uid string) error {
	d, ok := c.Store.(endpointOfDeleter)
	if !ok {
		return fmt.Errorf("%w: this datastore cannot delete an endpoint unread", datastore.ErrConflict)
	}
	return d.DeleteWorkloadEndpointOf(ctx, k, cid, uid)
}

func (c *cachedStore) Close() error {
	c.keepAPIGroup()
	return c.Store.Close()
}

// keepAPIGroup writes down a group the Store discovered (or discovered
// again) during this call.
func (c *cachedStore) keepAPIGroup() {
	ks, ok := c.Store.(*kdd.Store)
	if !ok {
		return
	}
	if g := ks.Discovered(); g != nil {
		if b, err := json.Marshal(apiGroupEntry{Server: ks.Server(), Group: g.String()}); err == nil {
			writeFileAtomic(c.groupPath, b)
		}
	}
}

func (c *cachedStore) load() *clusterEntry {
	b, err := readState(c.path)
	if err != nil {
		return nil
	}
	var e clusterEntry
	if json.Unmarshal(b, &e) != nil || !e.healthy() || e.Node != c.node || c.now().Sub(e.At) > clusterCacheTTL || c.now().Before(e.At) {
		return nil
	}
	return &e
}

func (c *cachedStore) Read(ctx context.Context, q datastore.Query) (*datastore.Snapshot, error) {
	all := q.Config && q.Pools && q.ClusterInfo && q.Reservations && q.Node == c.node
	if !all {
		return c.Store.Read(ctx, q)
	}
	if e := c.load(); e != nil {
		infoAge := c.now().Sub(e.ClusterInfoAt)
		recheck := c.freshReady || infoAge > clusterInfoTTL || infoAge < 0
		q.Config, q.Pools, q.ClusterInfo, q.Reservations, q.Node = false, false, recheck, false, ""
		snap, err := c.Store.Read(ctx, q)
		if err != nil {
			return nil, err
		}
		cfg, ready := e.Config, true
		snap.Config, snap.Pools, snap.Reservations = &cfg, e.Pools, e.Reservations
		snap.Node = &datastore.Node{Name: c.node, Labels: e.NodeLabels, VXLANTunnel: e.NodeTunnel}
		switch {
		case !recheck:
			snap.ClusterInfo = &datastore.ClusterInformation{DatastoreReady: &ready}
		case isReady(snap.ClusterInfo):
			// Recorded when the entry's time is a second old: in a burst
			// of DELs, each reading ClusterInformation, one write a second
			// instead of one each. An older time only shortens how long
			// an ADD trusts it.
			if infoAge > time.Second || infoAge < 0 {
				e.ClusterInfoAt = c.now()
				c.store(*e)
			}
		default:
			c.forget() // the datastore is locked: nothing cached is trusted
		}
		return snap, nil
	}
	snap, err := c.Store.Read(ctx, q)
	if err == nil && snap.Config != nil && snap.Config.StrictAffinity && len(snap.Pools) > 0 && snap.Node != nil &&
		isReady(snap.ClusterInfo) {
		c.store(clusterEntry{At: c.now(), Node: c.node, Config: *snap.Config, Pools: snap.Pools, Reservations: snap.Reservations,
			NodeLabels: snap.Node.Labels, NodeTunnel: snap.Node.VXLANTunnel, ClusterInfo: true, ClusterInfoAt: c.now()})
	}
	return snap, err
}

func isReady(ci *datastore.ClusterInformation) bool {
	return ci != nil && ci.DatastoreReady != nil && *ci.DatastoreReady
}

// store writes the entry for the next processes.
func (c *cachedStore) store(e clusterEntry) {
	if b, err := json.Marshal(e); err == nil {
		writeFileAtomic(c.path, b)
	}
}

// noteTunnel records the node's VXLAN tunnel as this node last set (or
// failed for good to set) it, so the next ADDs do not try again.
func (c *cachedStore) noteTunnel(t datastore.VXLANTunnel) {
	if e := c.load(); e != nil {
		e.NodeTunnel = t
		c.store(*e)
	}
}

// forget drops the cache, so the next call reads everything afresh (after
// a failed ADD, in case the cache was the cause).
func (c *cachedStore) forget() { os.Remove(c.path) }
