package etcd

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/calico-win/cni/datastore"
)

// Decoders for the projectcalico.org/v3 resources the plugin only reads
// (IPPool, Node, ClusterInformation). Defaults are those libcalico-go
// fills in when it reads an older object.

type v3Meta struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

type v3IPPool struct {
	Metadata v3Meta `json:"metadata"`
	Spec     struct {
		CIDR              string   `json:"cidr"`
		VXLANMode         string   `json:"vxlanMode"`
		NATOutgoing       bool     `json:"natOutgoing"`
		Disabled          bool     `json:"disabled"`
		BlockSize         int      `json:"blockSize"`
		NodeSelector      string   `json:"nodeSelector"`
		NamespaceSelector string   `json:"namespaceSelector"`
		AllowedUses       []string `json:"allowedUses"`
		AssignmentMode    string   `json:"assignmentMode"`
	} `json:"spec"`
}

func decodeIPPool(kv keyValue) (datastore.IPPool, error) {
	var r v3IPPool
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return datastore.IPPool{}, fmt.Errorf("etcd: IPPool %s: %w", kv.Key, err)
	}
	cidr, err := netip.ParsePrefix(r.Spec.CIDR)
	if err != nil {
		return datastore.IPPool{}, fmt.Errorf("etcd: IPPool %s: %w", kv.Key, err)
	}
	p := datastore.IPPool{
		Name:              r.Metadata.Name,
		CIDR:              cidr.Masked(),
		BlockSize:         r.Spec.BlockSize,
		Disabled:          r.Spec.Disabled,
		NATOutgoing:       r.Spec.NATOutgoing,
		NodeSelector:      r.Spec.NodeSelector,
		NamespaceSelector: r.Spec.NamespaceSelector,
		AllowedUses:       r.Spec.AllowedUses,
		AssignmentMode:    r.Spec.AssignmentMode,
		VXLANMode:         r.Spec.VXLANMode,
	}
	if p.Name == "" {
		p.Name = string(kv.Key[len(ipPoolPrefix):])
	}
	return p.WithDefaults(), nil
}

func decodeNode(kv keyValue) (*datastore.Node, error) {
	var r struct {
		Metadata v3Meta `json:"metadata"`
		Spec     struct {
			IPv4VXLANTunnelAddr string `json:"ipv4VXLANTunnelAddr"`
			VXLANTunnelMACAddr  string `json:"vxlanTunnelMACAddr"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return nil, fmt.Errorf("etcd: Node %s: %w", kv.Key, err)
	}
	n := &datastore.Node{Name: r.Metadata.Name, Labels: r.Metadata.Labels,
		VXLANTunnel: datastore.VXLANTunnel{Addr: r.Spec.IPv4VXLANTunnelAddr, MAC: r.Spec.VXLANTunnelMACAddr}}
	if n.Name == "" {
		n.Name = string(kv.Key[len(nodePrefix):])
	}
	return n, nil
}

func decodeClusterInfo(kv keyValue) (*datastore.ClusterInformation, error) {
	var r struct {
		Spec struct {
			DatastoreReady *bool `json:"datastoreReady"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return nil, fmt.Errorf("etcd: ClusterInformation %s: %w", kv.Key, err)
	}
	return &datastore.ClusterInformation{DatastoreReady: r.Spec.DatastoreReady}, nil
}
