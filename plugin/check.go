package plugin

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/containernetworking/cni/pkg/skel"

	"github.com/calico-win/cni/datastore"
)

func cmdCheck(args *skel.CmdArgs) error {
	c, err := newCall("CHECK", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	return toCNIError(c.check())
}

// check verifies what ADD set up against prevResult: the endpoint exists on
// the current network, is attached to CNI_NETNS and has prevResult's
// address; the WorkloadEndpoint and the IPAM handle agree. Each mismatch has
// its own message.
func (c *call) check() error {
	prev, err := prevResultPrefix(c.nc)
	if err != nil {
		return err
	}
	want, block := prev.Addr(), prev.Masked()
	nsID, err := namespaceID(c.args.Netns)
	if err != nil {
		return err
	}
	h, err := openHNS()
	if err != nil {
		return fmt.Errorf("opening HNS: %w", err)
	}
	if err := newDataplane(c.nc, h).CheckPod(c.ctx, c.args.ContainerID, nsID, block, want); err != nil {
		return err
	}
	k := c.wepKey()
	w, err := c.store.GetWorkloadEndpoint(c.ctx, k)
	if errors.Is(err, datastore.ErrNotFound) {
		return fmt.Errorf("CHECK: WorkloadEndpoint %s/%s does not exist", k.Namespace, k.Name)
	}
	if err != nil {
		return err
	}
	if !slices.Contains(w.Value.Spec.IPNetworks, netip.PrefixFrom(want, 32).String()) {
		return fmt.Errorf("CHECK: WorkloadEndpoint %s/%s has ipNetworks %v, prevResult has %s", k.Namespace, k.Name, w.Value.Spec.IPNetworks, want)
	}
	if w.Value.Spec.ContainerID != c.args.ContainerID {
		return fmt.Errorf("CHECK: WorkloadEndpoint %s/%s belongs to container %s", k.Namespace, k.Name, w.Value.Spec.ContainerID)
	}
	if c.calicoIPAM() {
		return c.checkIPAM()
	}
	return nil
}
