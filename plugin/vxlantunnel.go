package plugin

import (
	"errors"
	"log/slog"
	"net/netip"

	"github.com/calico-win/cni/dataplane"
	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
)

// vxlanTunnel is the node's VXLAN tunnel endpoint as Calico's Windows
// plugin records it after an ADD (EnsureVXLANTunnelAddr): the first address
// of the pod's block, and the network's DR MAC, the VTEP MAC HNS reports.
// Linux nodes route the block to that VTEP.
func vxlanTunnel(block netip.Prefix, n *hns.Network) (datastore.VXLANTunnel, error) {
	mac, err := dataplane.DRMAC(n)
	if err != nil {
		return datastore.VXLANTunnel{}, err
	}
	return datastore.VXLANTunnel{Addr: block.Masked().Addr().Next().String(), MAC: mac.String()}, nil
}

// ensureVXLANTunnel records the node's VXLAN tunnel when it differs from
// the Node read with the ADD's first read, so a steady-state ADD sends
// nothing. Like Calico, a failure (a role that may not write the Node, as
// calico-cni-plugin's on the Kubernetes datastore) is logged and the ADD
// goes on: the pod works, remote nodes may route to a stale VTEP.
func (c *call) ensureVXLANTunnel(node *datastore.Node, block netip.Prefix, n *hns.Network) {
	want, err := vxlanTunnel(block, n)
	if err != nil {
		slog.Warn("Failed to set node's VXLAN tunnel IP, node may not receive traffic", "err", err)
		return
	}
	if node != nil && node.VXLANTunnel == want {
		return
	}
	err = c.store.SetVXLANTunnel(c.ctx, c.node, want)
	if cs, ok := c.store.(*cachedStore); ok && (err == nil || errors.Is(err, datastore.ErrUnauthorized)) {
		// Written, or refused for good: either way not again before the
		// cache expires.
		cs.noteTunnel(want)
	}
	if err != nil {
		slog.Warn("Failed to set node's VXLAN tunnel IP, node may not receive traffic", "node", c.node,
			"addr", want.Addr, "mac", want.MAC, "err", err)
		return
	}
	slog.Info("set the node's VXLAN tunnel", "node", c.node, "addr", want.Addr, "mac", want.MAC)
}
