package kdd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/calico-win/cni/internal/k8s"
)

// APIGroup is one of the two API groups Calico keeps its resources in on
// the Kubernetes datastore, and what differs between them for the objects
// this backend reads and writes.
//
// The backend builds and names objects in crd.projectcalico.org/v1, Calico's
// default; crdClient maps a resource and a typed object to the Store's group
// on their way to the API server. projectcalico.org/v3 (Calico v3.32+
// installed without its aggregated API server) differs from v1, per
// libcalico-go's k8s/resources, only in:
//   - the group and version;
//   - IPAMConfig, which is kind IPAMConfiguration, resource
//     ipamconfigurations (its name, "default", and fields are the same);
//   - BlockAffinity's spec.deleted, a boolean where v1 has the string
//     "true"/"false".
//
// Object names, labels (hostname hash, affinity type, IP version) and every
// other field are the same in both.
type APIGroup struct {
	group, version string
	// plurals maps a v1 resource name to this group's, where they differ.
	plurals map[string]string
	// kinds maps a v1 kind to this group's, where they differ.
	kinds map[string]string
	// boolAffinityDeleted: BlockAffinity's spec.deleted is a boolean.
	boolAffinityDeleted bool
}

var (
	// GroupV1 is crd.projectcalico.org/v1: Calico's default, and what its
	// aggregated API server stores projectcalico.org/v3 in.
	GroupV1 = &APIGroup{group: "crd.projectcalico.org", version: "v1"}
	// GroupV3 is projectcalico.org/v3 served by CRDs.
	GroupV3 = &APIGroup{group: "projectcalico.org", version: "v3",
		plurals:             map[string]string{ipamConfigs.Plural: "ipamconfigurations"},
		kinds:               map[string]string{"IPAMConfig": "IPAMConfiguration"},
		boolAffinityDeleted: true,
	}
)

// String is the group/version, as calico_api_group names it.
func (g *APIGroup) String() string { return g.group + "/" + g.version }

// Name is the group without its version.
func (g *APIGroup) Name() string { return g.group }

// ParseAPIGroup reads calico_api_group (or $CALICO_API_GROUP): nil for ""
// (discover the group, as Calico does), else the group it names. Calico
// compares with projectcalico.org/v3 case-insensitively and takes anything
// else as crd.projectcalico.org/v1; here a value that is neither (nor the
// bare v1 group name, which older configs of this plugin used) is refused,
// since Calico would silently use v1 whatever was meant.
func ParseAPIGroup(s string) (*APIGroup, error) {
	switch {
	case s == "":
		return nil, nil
	case strings.EqualFold(s, GroupV3.String()):
		return GroupV3, nil
	case strings.EqualFold(s, GroupV1.String()), strings.EqualFold(s, GroupV1.group):
		return GroupV1, nil
	}
	return nil, fmt.Errorf("calico_api_group %q is %w", s, ErrUnknownAPIGroup)
}

// ErrUnknownAPIGroup is a calico_api_group that ParseAPIGroup refuses.
var ErrUnknownAPIGroup = errors.New("not one of Calico's API groups: leave calico_api_group empty to discover the group, " +
	"or set " + GroupV1.String() + " (Calico's default) or " + GroupV3.String() + " (Calico v3.32+ installed with projectcalico.org/v3 CRDs)")

// CheckAPIGroup accepts the calico_api_group values this backend serves.
func CheckAPIGroup(s string) error {
	_, err := ParseAPIGroup(s)
	return err
}

// discoveredGroup is Calico's choice from the groups the server serves:
// projectcalico.org served and crd.projectcalico.org not means v3 CRDs;
// both served means the aggregated API server fronts the v1 CRDs, which are
// then used directly; anything else is v1.
func discoveredGroup(served []string) *APIGroup {
	var v1, v3 bool
	for _, g := range served {
		v1 = v1 || g == GroupV1.group
		v3 = v3 || g == GroupV3.group
	}
	if v3 && !v1 {
		return GroupV3
	}
	return GroupV1
}

// resource is r (a v1 resource) in this group.
func (g *APIGroup) resource(r k8s.Resource) k8s.Resource {
	if g == GroupV1 {
		return r
	}
	r.Group, r.Version = g.group, g.version
	if p, ok := g.plurals[r.Plural]; ok {
		r.Plural = p
	}
	return r
}

// inGroup is implemented by the typed objects this backend writes, to
// convert themselves to a group.
type inGroup interface{ inGroup(g *APIGroup) any }

// body is obj, a request body, in this group. Typed objects are converted;
// anything else (an object as the server sent it, written back by a
// rollback, or DeleteOptions) is already in the right form.
func (g *APIGroup) body(obj any) any {
	if o, ok := obj.(inGroup); ok && g != GroupV1 {
		return o.inGroup(g)
	}
	return obj
}

func (o object[S]) inGroup(g *APIGroup) any {
	kind := o.Kind
	if k, ok := g.kinds[kind]; ok {
		kind = k
	}
	var spec any = o.Spec
	if s, ok := spec.(inGroup); ok {
		spec = s.inGroup(g)
	}
	return object[any]{APIVersion: g.String(), Kind: kind, Metadata: o.Metadata, Spec: spec}
}

// affinitySpecBool is BlockAffinitySpec with the boolean deleted of v3.
type affinitySpecBool struct {
	State   string `json:"state"`
	Node    string `json:"node"`
	Type    string `json:"type,omitempty"`
	CIDR    string `json:"cidr"`
	Deleted bool   `json:"deleted"`
}

func (s affinitySpec) inGroup(g *APIGroup) any {
	if !g.boolAffinityDeleted {
		return s
	}
	return affinitySpecBool{State: s.State, Node: s.Node, Type: s.Type, CIDR: s.CIDR, Deleted: s.isDeleted()}
}
