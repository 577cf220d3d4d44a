package hns

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Policy type names, as hcn spells them (hcn.EndpointPolicyType,
// hcn.NetworkPolicyType, hcn.SubnetPolicyType). HNS matches them
// case-insensitively; these are the canonical names it reports back.
const (
	// Endpoint policies.
	PortMapping   = "PortMapping"
	ACL           = "ACL"
	QOS           = "QOS"
	L2Driver      = "L2Driver"
	OutBoundNAT   = "OutBoundNAT"
	SDNRoute      = "SDNRoute"
	L4Proxy       = "L4Proxy"
	L4WFPPROXY    = "L4WFPPROXY"
	PortName      = "PortName"
	EncapOverhead = "EncapOverhead"
	IOV           = "Iov"
	TierAcl       = "TierAcl"
	// Endpoint and network policies.
	ProviderAddress     = "ProviderAddress"
	InterfaceConstraint = "InterfaceConstraint"
	NetworkACL          = "NetworkACL"
	// Network policies.
	SourceMacAddress  = "SourceMacAddress"
	NetAdapterName    = "NetAdapterName"
	VSwitchExtension  = "VSwitchExtension"
	DrMacAddress      = "DrMacAddress"
	AutomaticDNS      = "AutomaticDNS"
	RemoteSubnetRoute = "RemoteSubnetRoute"
	VxlanPort         = "VxlanPort"
	HostRoute         = "HostRoute"
	SetPolicy         = "SetPolicy"
	LayerConstraint   = "LayerConstraint"
	// Subnet policies.
	VSID = "VSID"
	VLAN = "VLAN"
)

// Setting is the Settings of one policy type; it knows its type name. The
// implementations hold only strings, numbers, bools and string slices, so
// they always marshal.
type Setting interface{ PolicyType() string }

// ProviderAddressSetting is hcn.ProviderAddressEndpointPolicySetting (also
// the network policy through which HNS reports the management IP).
type ProviderAddressSetting struct {
	ProviderAddress string
}

// OutboundNATSetting is hcn.OutboundNatPolicySetting.
type OutboundNATSetting struct {
	VirtualIP        string   `json:",omitempty"`
	Exceptions       []string `json:",omitempty"`
	Destinations     []string `json:",omitempty"`
	Flags            uint32   `json:",omitempty"`
	MaxPortPoolUsage uint16   `json:",omitempty"`
}

// SDNRouteSetting is hcn.SDNRoutePolicySetting.
type SDNRouteSetting struct {
	DestinationPrefix string `json:",omitempty"`
	NextHop           string `json:",omitempty"`
	NeedEncap         bool   `json:",omitempty"`
}

// ACLSetting is hcn.AclPolicySetting.
type ACLSetting struct {
	Protocols       string `json:",omitempty"`
	Action          string
	Direction       string
	LocalAddresses  string `json:",omitempty"`
	RemoteAddresses string `json:",omitempty"`
	LocalPorts      string `json:",omitempty"`
	RemotePorts     string `json:",omitempty"`
	RuleType        string `json:",omitempty"`
	Priority        uint16 `json:",omitempty"`
}

// HostRouteSetting is the (empty) HostRoute network policy setting.
type HostRouteSetting struct{}

// NetAdapterNameSetting is hcn.NetAdapterNameNetworkPolicySetting.
type NetAdapterNameSetting struct {
	NetworkAdapterName string `json:",omitempty"`
}

// DrMacAddressSetting is hcn.DrMacAddressNetworkPolicySetting.
type DrMacAddressSetting struct {
	Address string `json:",omitempty"`
}

// RemoteSubnetRouteSetting is hcn.RemoteSubnetRoutePolicySetting.
type RemoteSubnetRouteSetting struct {
	DestinationPrefix           string
	IsolationId                 uint16
	ProviderAddress             string
	DistributedRouterMacAddress string
}

// VSIDSetting is hcn.VsidPolicySetting: the VXLAN VNI of a subnet.
type VSIDSetting struct {
	IsolationId uint32
}

func (ProviderAddressSetting) PolicyType() string   { return ProviderAddress }
func (OutboundNATSetting) PolicyType() string       { return OutBoundNAT }
func (SDNRouteSetting) PolicyType() string          { return SDNRoute }
func (ACLSetting) PolicyType() string               { return ACL }
func (HostRouteSetting) PolicyType() string         { return HostRoute }
func (NetAdapterNameSetting) PolicyType() string    { return NetAdapterName }
func (DrMacAddressSetting) PolicyType() string      { return DrMacAddress }
func (RemoteSubnetRouteSetting) PolicyType() string { return RemoteSubnetRoute }
func (VSIDSetting) PolicyType() string              { return VSID }

// NewPolicy is the policy that carries s.
func NewPolicy(s Setting) Policy {
	return Policy{Type: s.PolicyType(), Settings: mustMarshal(s)}
}

// NewSubnetPolicy is s as a subnet policy (Subnet.Policies holds whole
// {Type, Settings} objects).
func NewSubnetPolicy(s Setting) json.RawMessage { return mustMarshal(NewPolicy(s)) }

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// Unreachable: see Setting.
		panic(fmt.Sprintf("hns: %T does not marshal: %v", v, err))
	}
	return b
}

// Is reports whether p has type typ (HNS compares type names case-insensitively).
func (p Policy) Is(typ string) bool { return strings.EqualFold(p.Type, typ) }

// Decode reads p's settings into s.
func Decode[S Setting](p Policy) (S, error) {
	var s S
	err := json.Unmarshal(p.Settings, &s)
	return s, err
}
