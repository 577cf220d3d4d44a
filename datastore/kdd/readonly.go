package kdd

import (
	"fmt"
	"net/netip"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// The objects the plugin only reads: IPPool, IPAMConfig "default",
// ClusterInformation "default" (custom resources) and the Node (the
// Kubernetes one: Calico derives its Node from it).

// ipPoolSpec is the part of an IPPool's spec the plugin uses (the v1 CRD
// holds projectcalico.org/v3's IPPoolSpec).
type ipPoolSpec struct {
	CIDR              string   `json:"cidr"`
	VXLANMode         string   `json:"vxlanMode"`
	NATOutgoing       bool     `json:"natOutgoing"`
	Disabled          bool     `json:"disabled"`
	BlockSize         int      `json:"blockSize"`
	NodeSelector      string   `json:"nodeSelector"`
	NamespaceSelector string   `json:"namespaceSelector"`
	AllowedUses       []string `json:"allowedUses"`
	AssignmentMode    string   `json:"assignmentMode"`
}

// toPool converts an IPPool, with the defaults libcalico-go fills in when
// it reads an older object.
func toPool(o *object[ipPoolSpec]) (datastore.IPPool, error) {
	s := o.Spec
	cidr, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return datastore.IPPool{}, fmt.Errorf("IPPool %s: %w", o.Metadata.Name, err)
	}
	p := datastore.IPPool{
		Name: o.Metadata.Name, CIDR: cidr.Masked(), BlockSize: s.BlockSize, Disabled: s.Disabled,
		NATOutgoing: s.NATOutgoing, NodeSelector: s.NodeSelector, NamespaceSelector: s.NamespaceSelector,
		AllowedUses: s.AllowedUses, AssignmentMode: s.AssignmentMode, VXLANMode: s.VXLANMode,
	}
	return p.WithDefaults(), nil
}

// ipamConfigSpec is libcalico-go's v1 IPAMConfigSpec.
type ipamConfigSpec struct {
	StrictAffinity     bool `json:"strictAffinity"`
	AutoAllocateBlocks bool `json:"autoAllocateBlocks"`
	MaxBlocksPerHost   int  `json:"maxBlocksPerHost"`
	IPCooldownSeconds  int  `json:"ipCooldownSeconds"`
}

func toIPAMConfig(o *object[ipamConfigSpec]) *datastore.IPAMConfig {
	return &datastore.IPAMConfig{StrictAffinity: o.Spec.StrictAffinity,
		AutoAllocateBlocks: o.Spec.AutoAllocateBlocks, MaxBlocksPerHost: o.Spec.MaxBlocksPerHost,
		IPCooldownSeconds: o.Spec.IPCooldownSeconds}
}

type clusterInfoSpec struct {
	DatastoreReady *bool `json:"datastoreReady"`
}

// toNode derives the Calico Node from the Kubernetes Node: the IPAM
// algorithm needs its name and labels (for pools' nodeSelector), the
// plugin its VXLAN tunnel (annotations, as libcalico-go keeps it).
func toNode(n *k8s.Node) *datastore.Node {
	a := n.Metadata.Annotations
	return &datastore.Node{Name: n.Metadata.Name, Labels: n.Metadata.Labels,
		VXLANTunnel: datastore.VXLANTunnel{Addr: a[annotationVXLANTunnelAddr], MAC: a[annotationVXLANTunnelMAC]}}
}
