package etcdtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/calico-win/cni/datastore"
)

// Seeding as calicoctl and calico-node write to etcd: v3 resources under
// /calico/resources/v3/projectcalico.org/ with kind, apiVersion, metadata
// (uid and creationTimestamp set, resourceVersion cleared) and spec, and the
// IPAM config in libcalico-go's model JSON.

const resources = "/calico/resources/v3/projectcalico.org/"

type resource[S any] struct {
	Kind       string               `json:"kind"`
	APIVersion string               `json:"apiVersion"`
	Metadata   datastore.ObjectMeta `json:"metadata"`
	Spec       S                    `json:"spec"`
}

func newResource[S any](kind, name string, labels map[string]string, spec S) resource[S] {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return resource[S]{
		Kind:       kind,
		APIVersion: "projectcalico.org/v3",
		Metadata: datastore.ObjectMeta{
			Name:              name,
			UID:               fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]),
			CreationTimestamp: time.Now().UTC().Format(time.RFC3339),
			Labels:            labels,
		},
		Spec: spec,
	}
}

func (s *Server) putJSON(t testing.TB, key string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	s.Put(t, key, string(b))
}

// ipPoolSpec is v3.IPPoolSpec's stored fields, in its field order.
type ipPoolSpec struct {
	CIDR              string   `json:"cidr"`
	VXLANMode         string   `json:"vxlanMode,omitempty"`
	IPIPMode          string   `json:"ipipMode,omitempty"`
	NATOutgoing       bool     `json:"natOutgoing,omitempty"`
	Disabled          bool     `json:"disabled,omitempty"`
	BlockSize         int      `json:"blockSize,omitempty"`
	NodeSelector      string   `json:"nodeSelector,omitempty"`
	NamespaceSelector string   `json:"namespaceSelector,omitempty"`
	AllowedUses       []string `json:"allowedUses,omitempty"`
	AssignmentMode    string   `json:"assignmentMode,omitempty"`
}

// PutIPPool stores p as `calicoctl create` does, filling in its defaults:
// blockSize 26 (122 for IPv6), nodeSelector all(), allowedUses
// [Workload, Tunnel], assignmentMode Automatic, vxlanMode and ipipMode Never.
func (s *Server) PutIPPool(t testing.TB, p datastore.IPPool) {
	t.Helper()
	spec := ipPoolSpec{
		CIDR:              p.CIDR.String(),
		VXLANMode:         or(p.VXLANMode, "Never"),
		IPIPMode:          "Never",
		NATOutgoing:       p.NATOutgoing,
		Disabled:          p.Disabled,
		BlockSize:         p.BlockSize,
		NodeSelector:      or(p.NodeSelector, "all()"),
		NamespaceSelector: p.NamespaceSelector,
		AllowedUses:       p.AllowedUses,
		AssignmentMode:    or(p.AssignmentMode, "Automatic"),
	}
	if spec.BlockSize == 0 {
		spec.BlockSize = 26
		if p.CIDR.Addr().Is6() {
			spec.BlockSize = 122
		}
	}
	if len(spec.AllowedUses) == 0 {
		spec.AllowedUses = []string{"Workload", "Tunnel"}
	}
	s.putJSON(t, resources+"ippools/"+p.Name, newResource("IPPool", p.Name, nil, spec))
}

// PutIPAMConfig stores /calico/ipam/v2/config as `calicoctl ipam configure`
// does (model.IPAMConfig, zero fields left out).
func (s *Server) PutIPAMConfig(t testing.TB, strictAffinity, autoAllocateBlocks bool, maxBlocksPerHost int) {
	t.Helper()
	s.putJSON(t, "/calico/ipam/v2/config", datastore.IPAMConfig{
		StrictAffinity:     strictAffinity,
		AutoAllocateBlocks: autoAllocateBlocks,
		MaxBlocksPerHost:   maxBlocksPerHost,
	})
}

// PutClusterInformation stores ClusterInformation "default" as calico-node
// does; a nil ready leaves datastoreReady out.
func (s *Server) PutClusterInformation(t testing.TB, ready *bool) {
	t.Helper()
	type spec struct {
		ClusterGUID    string `json:"clusterGUID,omitempty"`
		CalicoVersion  string `json:"calicoVersion,omitempty"`
		DatastoreReady *bool  `json:"datastoreReady,omitempty"`
	}
	s.putJSON(t, resources+"clusterinformations/default", newResource("ClusterInformation", "default", nil,
		spec{ClusterGUID: "0f5f8a3f0b1c4c49a1e4a2c6c1f0a9e1", CalicoVersion: "v3.34.0", DatastoreReady: ready}))
}

// PutNode stores a Calico Node with these labels, as calico-node registers
// itself.
func (s *Server) PutNode(t testing.TB, name string, labels map[string]string) {
	t.Helper()
	type spec struct {
		OrchRefs []map[string]string `json:"orchRefs,omitempty"`
	}
	s.putJSON(t, resources+"nodes/"+name, newResource("Node", name, labels,
		spec{OrchRefs: []map[string]string{{"nodeName": name, "orchestrator": "k8s"}}}))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// PutIPReservation stores an IPReservation of these CIDRs or addresses, as
// calicoctl does.
func (s *Server) PutIPReservation(t testing.TB, name string, cidrs []string) {
	t.Helper()
	type spec struct {
		ReservedCIDRs []string `json:"reservedCIDRs"`
	}
	s.putJSON(t, resources+"ipreservations/"+name, newResource("IPReservation", name, nil, spec{ReservedCIDRs: cidrs}))
}
