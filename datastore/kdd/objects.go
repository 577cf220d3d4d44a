package kdd

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// The custom resources, named in the group Calico's Kubernetes datastore
// uses by default (calico_api_group "crd.projectcalico.org/v1"); APIGroup
// takes them to the Store's group.
const (
	group      = "crd.projectcalico.org"
	version    = "v1"
	apiVersion = group + "/" + version
)

var (
	ipamBlocks          = k8s.Resource{Group: group, Version: version, Plural: "ipamblocks"}
	blockAffinities     = k8s.Resource{Group: group, Version: version, Plural: "blockaffinities"}
	ipamHandles         = k8s.Resource{Group: group, Version: version, Plural: "ipamhandles"}
	ipPools             = k8s.Resource{Group: group, Version: version, Plural: "ippools"}
	ipReservations      = k8s.Resource{Group: group, Version: version, Plural: "ipreservations"}
	ipamConfigs         = k8s.Resource{Group: group, Version: version, Plural: "ipamconfigs"}
	clusterInformations = k8s.Resource{Group: group, Version: version, Plural: "clusterinformations"}
)

// meta is the metadata this backend writes: name and labels, plus the
// resourceVersion an update is conditional on. Everything else is the
// server's.
type meta struct {
	Name            string            `json:"name"`
	ResourceVersion string            `json:"resourceVersion,omitempty"`
	UID             string            `json:"uid,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
}

// annotationMetadata is where libcalico-go keeps, on a crd.projectcalico.org/v1
// object, the projectcalico.org/v3 metadata that has no place in the CRD's:
// the object's metadata as JSON, without name, namespace, resourceVersion
// and uid (ConvertCalicoResourceToK8sResource). For IPAM objects that leaves
// nothing but a BlockAffinity's labels. Calico writes it on every create and
// update, so every write here carries it too.
const annotationMetadata = "projectcalico.org/metadata"

// calicoMetadata is the annotation for an object with these labels, as
// encoding/json writes a metav1.ObjectMeta holding only them (the zero
// creationTimestamp is omitted since apimachinery added omitzero).
func calicoMetadata(labels map[string]string) map[string]string {
	v := "{}"
	if len(labels) > 0 {
		b, _ := json.Marshal(struct {
			Labels map[string]string `json:"labels"`
		}{labels})
		v = string(b)
	}
	return map[string]string{annotationMetadata: v}
}

type object[S any] struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   meta   `json:"metadata"`
	Spec       S      `json:"spec"`
}

// blockSpec is libcalico-go's IPAMBlockSpec (apis/internalapi), in its field
// order. Attributes are model.AllocationAttribute, which datastore.Attribute
// mirrors with the same JSON names (handle_id, secondary, ...).
type blockSpec struct {
	CIDR                        string                `json:"cidr"`
	Affinity                    *string               `json:"affinity,omitempty"`
	AffinityClaimTime           *datastore.ClaimTime  `json:"affinityClaimTime,omitempty"`
	Allocations                 []*int                `json:"allocations"`
	Unallocated                 []int                 `json:"unallocated"`
	Attributes                  []datastore.Attribute `json:"attributes"`
	SequenceNumber              uint64                `json:"sequenceNumber"`
	SequenceNumberForAllocation map[string]uint64     `json:"sequenceNumberForAllocation"`
	Deleted                     bool                  `json:"deleted"`
	// DeprecatedStrictAffinity is required by the CRD and always false.
	DeprecatedStrictAffinity bool `json:"strictAffinity"`
}

// affinitySpec is libcalico-go's v1 BlockAffinitySpec: Deleted is the
// string "true" or "false" (an old mistake the CRD keeps for compatibility;
// v3 has a boolean, see APIGroup).
type affinitySpec struct {
	State   string          `json:"state"`
	Node    string          `json:"node"`
	Type    string          `json:"type,omitempty"`
	CIDR    string          `json:"cidr"`
	Deleted affinityDeleted `json:"deleted"`
}

// affinityDeleted is v1's string, read from v3's boolean too.
type affinityDeleted string

func (d *affinityDeleted) UnmarshalJSON(b []byte) error {
	var v bool
	if json.Unmarshal(b, &v) == nil {
		*d = affinityDeleted(strconv.FormatBool(v))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*d = affinityDeleted(s)
	return nil
}

// handleSpec is libcalico-go's IPAMHandleSpec.
type handleSpec struct {
	HandleID string         `json:"handleID"`
	Block    map[string]int `json:"block"`
	Deleted  bool           `json:"deleted"`
}

func blockObject(b datastore.Block, deleted bool) object[blockSpec] {
	s := blockSpec{
		CIDR: b.CIDR.String(), Affinity: b.Affinity, AffinityClaimTime: b.AffinityClaimTime,
		Allocations: b.Allocations, Unallocated: b.Unallocated, Attributes: b.Attributes,
		SequenceNumber: b.SequenceNumber, SequenceNumberForAllocation: b.SequenceNumberForAllocation,
		Deleted: deleted,
	}
	// The CRD requires the arrays: a null would be dropped and then missed.
	if s.Allocations == nil {
		s.Allocations = []*int{}
	}
	if s.Unallocated == nil {
		s.Unallocated = []int{}
	}
	if s.Attributes == nil {
		s.Attributes = []datastore.Attribute{}
	}
	return object[blockSpec]{APIVersion: apiVersion, Kind: "IPAMBlock",
		Metadata: meta{Name: blockName(b.CIDR), Annotations: calicoMetadata(nil)}, Spec: s}
}

func toBlock(o *object[blockSpec]) (datastore.Block, error) {
	s := o.Spec
	cidr, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return datastore.Block{}, fmt.Errorf("IPAMBlock %s: %w", o.Metadata.Name, err)
	}
	return datastore.Block{
		CIDR: cidr, Affinity: s.Affinity, AffinityClaimTime: s.AffinityClaimTime,
		Allocations: s.Allocations, Unallocated: s.Unallocated, Attributes: s.Attributes,
		SequenceNumber: s.SequenceNumber, SequenceNumberForAllocation: s.SequenceNumberForAllocation,
		Deleted: s.Deleted,
	}, nil
}

func affinityObject(a datastore.Affinity, deleted bool) object[affinitySpec] {
	labels := affinityLabels(a.Host, a.CIDR)
	return object[affinitySpec]{
		APIVersion: apiVersion, Kind: "BlockAffinity",
		Metadata: meta{Name: affinityName(a.Host, a.CIDR), Labels: labels, Annotations: calicoMetadata(labels)},
		Spec: affinitySpec{State: a.State, Node: a.Host, Type: affinityTypeHost, CIDR: a.CIDR.String(),
			Deleted: affinityDeleted(strconv.FormatBool(deleted))},
	}
}

// toAffinity converts a BlockAffinity.
func toAffinity(o *object[affinitySpec]) (datastore.Affinity, error) {
	s := o.Spec
	cidr, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return datastore.Affinity{}, fmt.Errorf("BlockAffinity %s: %w", o.Metadata.Name, err)
	}
	return datastore.Affinity{Host: s.Node, CIDR: cidr, State: s.State}, nil
}

func handleObject(h datastore.Handle, deleted bool) object[handleSpec] {
	blocks := h.Block
	if blocks == nil {
		blocks = map[string]int{}
	}
	return object[handleSpec]{APIVersion: apiVersion, Kind: "IPAMHandle",
		Metadata: meta{Name: handleName(h.HandleID), Annotations: calicoMetadata(nil)},
		Spec:     handleSpec{HandleID: h.HandleID, Block: blocks, Deleted: deleted}}
}

func toHandle(o *object[handleSpec]) datastore.Handle {
	s := o.Spec
	return datastore.Handle{HandleID: s.HandleID, Block: s.Block, Deleted: s.Deleted}
}

// markedDeleted tells whether an object carries Calico's soft-delete mark:
// readers treat it as absent, and finish the delete.
func markedDeleted[S any](o *object[S]) bool {
	d, ok := any(o.Spec).(interface{ isDeleted() bool })
	return ok && d.isDeleted()
}

func (s blockSpec) isDeleted() bool  { return s.Deleted }
func (s handleSpec) isDeleted() bool { return s.Deleted }

// isDeleted reads the v1 string as libcalico-go does: empty is false, and
// anything strconv.ParseBool does not take is not a mark either.
func (s affinitySpec) isDeleted() bool {
	d, _ := strconv.ParseBool(string(s.Deleted))
	return d
}
