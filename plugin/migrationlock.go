package plugin

import "github.com/calico-win/cni/datastore"

// checkReady reads ClusterInformation and fails with errNotReady (code 11)
// while datastoreReady is not true: "calicoctl datastore migrate lock" sets
// it false so that nothing writes while the data is copied. Calico's ADD and
// DEL refuse then; GC, a bulk release that Calico's plugin does not have,
// refuses too, in both binaries. calico-ipam's ADD and DEL do not check, as
// Calico's calico-ipam does not (Calico's main plugin checks before calling
// it).
func (c *call) checkReady() error {
	snap, err := c.store.Read(c.ctx, datastore.Query{ClusterInfo: true})
	if err != nil {
		return err
	}
	return ready(snap)
}
