package datastore

// ObjectMeta is the metadata of a projectcalico.org/v3 resource as Calico
// stores it in etcd (resourceVersion cleared; uid and creationTimestamp set on create).
type ObjectMeta struct {
	Name              string            `json:"name,omitempty"`
	GenerateName      string            `json:"generateName,omitempty"`
	Namespace         string            `json:"namespace,omitempty"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	UID               string            `json:"uid,omitempty"`
	CreationTimestamp string            `json:"creationTimestamp,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

// WorkloadEndpoint is Calico's projectcalico.org/v3 WorkloadEndpoint, with
// the spec fields in libcalico-go's order.
type WorkloadEndpoint struct {
	Kind       string               `json:"kind"`
	APIVersion string               `json:"apiVersion"`
	Metadata   ObjectMeta           `json:"metadata"`
	Spec       WorkloadEndpointSpec `json:"spec"`
}

// WorkloadEndpointSpec mirrors libcalico-go's WorkloadEndpointSpec.
type WorkloadEndpointSpec struct {
	Orchestrator               string         `json:"orchestrator,omitempty"`
	Workload                   string         `json:"workload,omitempty"`
	Node                       string         `json:"node,omitempty"`
	ContainerID                string         `json:"containerID,omitempty"`
	Pod                        string         `json:"pod,omitempty"`
	Endpoint                   string         `json:"endpoint,omitempty"`
	ServiceAccountName         string         `json:"serviceAccountName,omitempty"`
	IPNetworks                 []string       `json:"ipNetworks,omitempty"`
	IPNATs                     []IPNAT        `json:"ipNATs,omitempty"`
	IPv4Gateway                string         `json:"ipv4Gateway,omitempty"`
	IPv6Gateway                string         `json:"ipv6Gateway,omitempty"`
	Profiles                   []string       `json:"profiles,omitempty"`
	InterfaceName              string         `json:"interfaceName,omitempty"`
	MAC                        string         `json:"mac,omitempty"`
	Ports                      []EndpointPort `json:"ports,omitempty"`
	AllowSpoofedSourcePrefixes []string       `json:"allowSpoofedSourcePrefixes,omitempty"`
}

// IPNAT is a floating IP mapping.
type IPNAT struct {
	InternalIP string `json:"internalIP"`
	ExternalIP string `json:"externalIP"`
}

// EndpointPort is a named or host port of a workload.
type EndpointPort struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Port     uint16 `json:"port"`
	// Always written (0 and ""), as libcalico-go's struct has no omitempty.
	HostPort uint16 `json:"hostPort"`
	HostIP   string `json:"hostIP"`
}

// ClusterInformation is the part of ClusterInformation "default" the plugin
// checks. DatastoreReady nil means the field is absent.
type ClusterInformation struct {
	DatastoreReady *bool
}

// Profile is a projectcalico.org/v3 Profile, as Calico's CNI plugin creates
// it for a network with no policy type.
type Profile struct {
	Kind       string      `json:"kind"`
	APIVersion string      `json:"apiVersion"`
	Metadata   ObjectMeta  `json:"metadata"`
	Spec       ProfileSpec `json:"spec"`
}

// ProfileSpec is the part of v3.ProfileSpec the default profile uses.
type ProfileSpec struct {
	Ingress       []Rule            `json:"ingress,omitempty"`
	Egress        []Rule            `json:"egress,omitempty"`
	LabelsToApply map[string]string `json:"labelsToApply,omitempty"`
}

// Rule is the part of v3.Rule the default profile uses.
type Rule struct {
	Action string      `json:"action"`
	Source *EntityRule `json:"source,omitempty"`
}

// EntityRule is the part of v3.EntityRule the default profile uses.
type EntityRule struct {
	Selector string `json:"selector,omitempty"`
}

// DefaultProfile is the profile Calico's plugin creates for network name
// when the network has no policy type: egress allowed, the label <name>
// applied to its endpoints, and ingress allowed from endpoints with that
// label, or, for Kubernetes pods (kubernetes true), from anywhere.
func DefaultProfile(name string, kubernetes bool) Profile {
	ingress := Rule{Action: "Allow", Source: &EntityRule{Selector: "has(" + name + ")"}}
	if kubernetes {
		ingress = Rule{Action: "Allow"}
	}
	return Profile{Kind: "Profile", APIVersion: "projectcalico.org/v3", Metadata: ObjectMeta{Name: name},
		Spec: ProfileSpec{
			Ingress:       []Rule{ingress},
			Egress:        []Rule{{Action: "Allow"}},
			LabelsToApply: map[string]string{name: ""},
		}}
}
