// Package datastore is Calico's data model as this plugin reads and writes it,
// and the Store interface through which the IPAM algorithm and the plugin
// reach a datastore. The types carry the JSON of Calico's etcd layout
// (model.AllocationBlock and friends), field for field and in the same order,
// so that what we write is indistinguishable from what Calico writes; the
// Kubernetes backend converts them to the CRD form.
//
// It must not import ipam, plugin or any backend.
package datastore

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// WindowsReservedHandle is the handle Calico's Windows IPAM puts on the
// reserved ordinals of every block (network, gateway, host endpoint,
// broadcast). Calico's readers match it by name: never rename it.
const (
	WindowsReservedHandle = "windows-reserved-ipam-handle"
	WindowsReservedNote   = "windows host rsvd"
)

// Block is one IPAM allocation block (model.AllocationBlock).
type Block struct {
	CIDR              netip.Prefix `json:"cidr"`
	Affinity          *string      `json:"affinity"`
	AffinityClaimTime *ClaimTime   `json:"affinity_claim_time,omitempty"`
	// Allocations[i] is an index into Attributes, or nil when ordinal i is free.
	Allocations []*int `json:"allocations"`
	// Unallocated is the FIFO of free ordinals: taken from the head, released to the tail.
	Unallocated                 []int             `json:"unallocated"`
	Attributes                  []Attribute       `json:"attributes"`
	SequenceNumber              uint64            `json:"sequenceNumber"`
	SequenceNumberForAllocation map[string]uint64 `json:"sequenceNumberForAllocation"`
	Deleted                     bool              `json:"deleted"`
	HostAffinity                *string           `json:"hostAffinity,omitempty"`
}

// Attribute is what an allocation records about its owner (model.AllocationAttribute).
type Attribute struct {
	HandleID            *string           `json:"handle_id,omitempty"`
	Secondary           map[string]string `json:"secondary,omitempty"`
	AlternateOwnerAttrs map[string]string `json:"alternateOwnerAttrs,omitempty"`
	ReleasedAt          *ClaimTime        `json:"releasedAt,omitempty"`
}

// ClaimTime marshals like metav1.Time: RFC 3339 in UTC, whole seconds.
type ClaimTime struct{ time.Time }

func (t ClaimTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Truncate(time.Second).Format(time.RFC3339))
}

func (t *ClaimTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = p
	return nil
}

// Affinity values: Calico's BlockAffinity states.
const (
	AffinityPending         = "pending"
	AffinityConfirmed       = "confirmed"
	AffinityPendingDeletion = "pendingDeletion"
)

// Affinity is a block affinity of a host (model.BlockAffinity). In etcd the
// key carries host and CIDR and the value only State and Deleted.
type Affinity struct {
	Host    string       `json:"-"`
	CIDR    netip.Prefix `json:"-"`
	State   string       `json:"state"`
	Deleted bool         `json:"deleted"`
}

// Handle counts the addresses one handle holds in each block (model.IPAMHandle).
type Handle struct {
	HandleID string         `json:"-"`
	Block    map[string]int `json:"block"`
	Deleted  bool           `json:"deleted"`
}

// IPAMConfig is the cluster-wide IPAM configuration (model.IPAMConfig).
type IPAMConfig struct {
	StrictAffinity     bool `json:"strict_affinity,omitempty"`
	AutoAllocateBlocks bool `json:"auto_allocate_blocks,omitempty"`
	MaxBlocksPerHost   int  `json:"maxBlocksPerHost,omitempty"`
	// IPCooldownSeconds is how long a released address stays unusable
	// (0: reused at once, still in FIFO order).
	IPCooldownSeconds int `json:"ipCooldownSeconds,omitempty"`
}

// DefaultIPAMConfig is what Calico assumes when no config object exists.
var DefaultIPAMConfig = IPAMConfig{StrictAffinity: false, AutoAllocateBlocks: true}

// IPPool is the part of a projectcalico.org/v3 IPPool the plugin uses.
type IPPool struct {
	Name              string
	CIDR              netip.Prefix
	BlockSize         int
	Disabled          bool
	NATOutgoing       bool
	NodeSelector      string
	NamespaceSelector string
	AllowedUses       []string
	AssignmentMode    string
	VXLANMode         string
}

// WithDefaults fills what Calico defaults when a pool is read (clientv3's
// IPPool defaulting): block size 26 (122 for IPv6), allowed uses Workload
// and Tunnel, assignment mode Automatic.
func (p IPPool) WithDefaults() IPPool {
	if p.BlockSize == 0 {
		p.BlockSize = 26
		if p.CIDR.Addr().Is6() {
			p.BlockSize = 122
		}
	}
	if len(p.AllowedUses) == 0 {
		p.AllowedUses = []string{"Workload", "Tunnel"}
	}
	if p.AssignmentMode == "" {
		p.AssignmentMode = "Automatic"
	}
	return p
}

// ParseReservedCIDR reads an IPReservation's reservedCIDRs entry: a CIDR or
// a single address.
func ParseReservedCIDR(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("reservedCIDRs entry %q is neither a CIDR nor an address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Node is the part of a Calico Node the plugin uses.
type Node struct {
	Name   string
	Labels map[string]string
	// VXLANTunnel is the node's IPv4 VXLAN tunnel address and VTEP MAC
	// (Calico's spec.ipv4VXLANTunnelAddr and spec.vxlanTunnelMACAddr), as
	// stored (empty when unset).
	VXLANTunnel VXLANTunnel
}

// Versioned pairs a value with the revision it was read at. An empty Rev means
// the object does not exist yet (writes create it).
type Versioned[T any] struct {
	Value T
	Rev   string
}

// BlockName returns Calico's Kubernetes name of a block CIDR (names.CIDRToName):
// 10.244.1.0/26 -> 10-244-1-0-26.
func BlockName(cidr netip.Prefix) string {
	r := strings.NewReplacer(".", "-", ":", "-", "/", "-")
	return r.Replace(cidr.String())
}

// BlockKeySuffix is the etcd spelling of a CIDR in keys: 10.244.1.0-26.
func BlockKeySuffix(cidr netip.Prefix) string {
	return strings.Replace(cidr.String(), "/", "-", 1)
}

// ParseBlockKeySuffix is the inverse of BlockKeySuffix.
func ParseBlockKeySuffix(s string) (netip.Prefix, error) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return netip.Prefix{}, fmt.Errorf("not a block key: %q", s)
	}
	return netip.ParsePrefix(s[:i] + "/" + s[i+1:])
}
