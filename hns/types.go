// Package hns describes the Windows Host Networking Service (HCN v2 schema) as
// the plugin sees it: the object types with hcn's JSON field names, the
// policy type names and their typed settings (policy.go), the
// Client interface that both the Windows adapter (hns/hcn) and the simulator
// (hns/sim) implement, and the one place where HNS errors are classified.
//
// It must not import the plugin, ipam or datastore packages, nor hcsshim (which
// builds only on Windows): plugin code talks to Client and never knows which
// implementation is behind it.
package hns

import "encoding/json"

// SchemaVersion is hcn's SchemaVersion; objects the plugin creates use 2.0.
type SchemaVersion struct {
	Major uint32 `json:",omitempty"`
	Minor uint32 `json:",omitempty"`
}

// V2 is the schema version the plugin writes.
var V2 = SchemaVersion{Major: 2, Minor: 0}

// Health mirrors hcn.Health; it always marshals as {"Extra":{}}.
type Health struct {
	Data  any         `json:",omitempty"`
	Extra ExtraParams `json:",omitempty"`
}

// ExtraParams mirrors hcn.ExtraParams.
type ExtraParams struct {
	Resources        json.RawMessage `json:",omitempty"`
	SharedContainers json.RawMessage `json:",omitempty"`
	LayeredOn        string          `json:",omitempty"`
	SwitchGuid       string          `json:",omitempty"`
	UtilityVM        string          `json:",omitempty"`
	VirtualMachine   string          `json:",omitempty"`
}

// Policy is an endpoint or network policy: a type name and its settings
// (hcn.EndpointPolicy / hcn.NetworkPolicy).
type Policy struct {
	Type     string          `json:",omitempty"`
	Settings json.RawMessage `json:",omitempty"`
}

// Route mirrors hcn.Route.
type Route struct {
	NextHop           string `json:",omitempty"`
	DestinationPrefix string `json:",omitempty"`
	Metric            uint16 `json:",omitempty"`
}

// Subnet mirrors hcn.Subnet; Policies hold subnet policies such as VSID.
type Subnet struct {
	IpAddressPrefix string            `json:",omitempty"`
	Policies        []json.RawMessage `json:",omitempty"`
	Routes          []Route           `json:",omitempty"`
}

// Ipam mirrors hcn.Ipam.
type Ipam struct {
	Type    string   `json:",omitempty"`
	Subnets []Subnet `json:",omitempty"`
}

// MacRange mirrors hcn.MacRange.
type MacRange struct {
	StartMacAddress string `json:",omitempty"`
	EndMacAddress   string `json:",omitempty"`
}

// MacPool mirrors hcn.MacPool.
type MacPool struct {
	Ranges []MacRange `json:",omitempty"`
}

// Dns mirrors hcn.Dns.
type Dns struct {
	Domain     string   `json:",omitempty"`
	Search     []string `json:",omitempty"`
	ServerList []string `json:",omitempty"`
	Options    []string `json:",omitempty"`
}

// Network mirrors hcn.HostComputeNetwork.
type Network struct {
	Id            string        `json:"ID,omitempty"`
	Name          string        `json:",omitempty"`
	Type          string        `json:",omitempty"` // Overlay, L2Bridge, NAT, ...
	Policies      []Policy      `json:",omitempty"`
	MacPool       MacPool       `json:",omitempty"`
	Dns           Dns           `json:",omitempty"`
	Ipams         []Ipam        `json:",omitempty"`
	Flags         uint32        `json:",omitempty"`
	Health        Health        `json:",omitempty"`
	SchemaVersion SchemaVersion `json:",omitempty"`
}

// IpConfig mirrors hcn.IpConfig.
type IpConfig struct {
	IpAddress    string `json:",omitempty"`
	PrefixLength uint8  `json:",omitempty"`
}

// EndpointFlagRemote marks a remote endpoint (hcn.EndpointFlagsRemoteEndpoint).
const EndpointFlagRemote uint32 = 1

// Endpoint mirrors hcn.HostComputeEndpoint. HostComputeNamespace is read-only:
// it is never set on create; attach with Client.AttachEndpoint.
type Endpoint struct {
	Id                   string        `json:"ID,omitempty"`
	Name                 string        `json:",omitempty"`
	HostComputeNetwork   string        `json:",omitempty"`
	HostComputeNamespace string        `json:",omitempty"`
	Policies             []Policy      `json:",omitempty"`
	IpConfigurations     []IpConfig    `json:",omitempty"`
	Dns                  Dns           `json:",omitempty"`
	Routes               []Route       `json:",omitempty"`
	MacAddress           string        `json:",omitempty"`
	Flags                uint32        `json:",omitempty"`
	Health               Health        `json:",omitempty"`
	SchemaVersion        SchemaVersion `json:",omitempty"`
}

// NamespaceResource mirrors hcn.NamespaceResource: Type is Endpoint or
// Container, Data is {"ID":"<guid>"}.
type NamespaceResource struct {
	Type string
	Data json.RawMessage
}

// NamespaceHostDefault is the type of the host's default namespace
// (hcn.NamespaceTypeHostDefault): the host's default compartment.
const NamespaceHostDefault = "HostDefault"

// Namespace mirrors hcn.HostComputeNamespace.
type Namespace struct {
	Id            string              `json:"ID,omitempty"`
	NamespaceId   uint32              `json:",omitempty"`
	Type          string              `json:",omitempty"` // Host, HostDefault, Guest, GuestDefault
	Resources     []NamespaceResource `json:",omitempty"`
	SchemaVersion SchemaVersion       `json:",omitempty"`
}

// Version is the HNS version reported by GET /globals/version.
type Version struct {
	Major int `json:"Major"`
	Minor int `json:"Minor"`
}
