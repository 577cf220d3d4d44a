package kdd

import (
	"context"
	"fmt"

	"github.com/calico-win/cni/datastore"
)

// The Kubernetes Node annotations libcalico-go keeps the Calico Node's IPv4
// VXLAN tunnel in (resources/node.go).
const (
	annotationVXLANTunnelAddr = "projectcalico.org/IPv4VXLANTunnelAddr"
	annotationVXLANTunnelMAC  = "projectcalico.org/VXLANTunnelMACAddr"
)

// SetVXLANTunnel implements datastore.NodeStore with one merge patch of the
// Node's annotations (Calico updates the whole Node; the patch needs no
// read and cannot conflict). An empty value removes the annotation.
func (s *Store) SetVXLANTunnel(ctx context.Context, node string, t datastore.VXLANTunnel) error {
	a := map[string]*string{annotationVXLANTunnelAddr: nil, annotationVXLANTunnelMAC: nil}
	if t.Addr != "" {
		a[annotationVXLANTunnelAddr] = &t.Addr
	}
	if t.MAC != "" {
		a[annotationVXLANTunnelMAC] = &t.MAC
	}
	if err := s.c.PatchNodeAnnotations(ctx, node, a); err != nil {
		return fmt.Errorf("setting the VXLAN tunnel of node %s: %w", node, err)
	}
	return nil
}
