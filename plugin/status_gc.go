package plugin

import (
	"errors"
	"fmt"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/skel"

	"github.com/calico-win/cni/dataplane"
	"github.com/calico-win/cni/datastore"
)

func cmdStatus(args *skel.CmdArgs) error {
	c, err := newCall("STATUS", args)
	if err != nil {
		return statusError(err)
	}
	defer c.close()
	return statusError(c.status())
}

// status reports whether an ADD can succeed now: Calico is ready in the
// datastore, IPAM allows this node, and the HNS network exists with its
// management IP, of the configured mode's type.
func (c *call) status() error {
	if err := c.configRefusal(); err != nil {
		return err
	}
	snap, err := c.store.Read(c.ctx, datastore.Query{ClusterInfo: true})
	if err != nil {
		return err
	}
	if err := ready(snap); err != nil {
		return err
	}
	if c.calicoIPAM() {
		if err := c.allocator().Ready(c.ctx, c.nc.IPAM.IPv4Pools); err != nil {
			return err
		}
	} else if err := invoke.DelegateStatus(c.ctx, c.nc.IPAM.Type, c.args.StdinData, c.ipamExec()); err != nil {
		return err
	}
	if !c.nc.WindowsUseSingleNetwork {
		return nil // per-block networks appear with their first pod
	}
	h, err := openHNS()
	if err != nil {
		return fmt.Errorf("opening HNS: %w", err)
	}
	err = newDataplane(c.nc, h).NetworkReady(c.ctx)
	if errors.Is(err, dataplane.ErrNetworkGone) {
		return fmt.Errorf("%w (%v)", errNetworkGone, err)
	}
	return err
}
