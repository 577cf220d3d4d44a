package datastore

import "context"

// VXLANTunnel is a node's IPv4 VXLAN tunnel endpoint as Calico records it
// on the Node: the address (the first address of the node's block, on
// Windows) and the VTEP MAC in Go's net.HardwareAddr form (aa:bb:...).
type VXLANTunnel struct {
	Addr string
	MAC  string
}

// NodeStore is what the plugin writes of the Calico Node: on Windows the
// CNI plugin, not calico-node, keeps the node's VXLAN tunnel current, so
// that other nodes route to its block through the right VTEP.
type NodeStore interface {
	// SetVXLANTunnel records t on node, keeping every other field of it
	// (etcd: spec.ipv4VXLANTunnelAddr and spec.vxlanTunnelMACAddr;
	// Kubernetes: the Node's projectcalico.org/IPv4VXLANTunnelAddr and
	// projectcalico.org/VXLANTunnelMACAddr annotations, from which Calico
	// derives them). ErrNotFound when there is no such node;
	// ErrUnauthorized when the credentials may not write it.
	SetVXLANTunnel(ctx context.Context, node string, t VXLANTunnel) error
}
