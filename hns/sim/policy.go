package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"

	"github.com/calico-win/cni/hns"
)

// policyRule validates the Settings of one policy type.
type policyRule func(settings json.RawMessage) error

// endpointPolicies are the v2 endpoint policy types HNS knows
// (hcn.EndpointPolicyType plus NetworkACL), keyed by their canonical name.
var endpointPolicies = map[string]policyRule{
	hns.OutBoundNAT:         validateOutboundNAT,
	hns.SDNRoute:            validateSDNRoute,
	hns.ProviderAddress:     validateProviderAddress,
	hns.ACL:                 validateACL,
	hns.PortMapping:         validatePortMapping,
	hns.L4Proxy:             validateL4Proxy,
	hns.L4WFPPROXY:          decodeAs[l4WfpProxy],
	hns.EncapOverhead:       decodeAs[struct{ Overhead uint16 }],
	hns.QOS:                 decodeAs[struct{ MaximumOutgoingBandwidthInBytes uint64 }],
	hns.PortName:            decodeAs[struct{ Name string }],
	hns.L2Driver:            decodeAs[map[string]any],
	hns.InterfaceConstraint: decodeAs[interfaceConstraint],
	hns.IOV:                 decodeAs[struct{ IovOffloadWeight, QueuePairsRequested, InterruptModeration uint32 }],
	hns.TierAcl:             decodeAs[map[string]any],
	hns.NetworkACL:          validateACL,
}

// networkPolicies are the network policy types (hcn.NetworkPolicyType).
var networkPolicies = map[string]policyRule{
	hns.SourceMacAddress:    decodeAs[struct{ SourceMacAddress string }],
	hns.NetAdapterName:      decodeAs[hns.NetAdapterNameSetting],
	hns.VSwitchExtension:    decodeAs[struct{ ExtensionID string }],
	hns.DrMacAddress:        decodeAs[hns.DrMacAddressSetting],
	hns.AutomaticDNS:        decodeAs[struct{ Enable bool }],
	hns.InterfaceConstraint: decodeAs[interfaceConstraint],
	hns.ProviderAddress:     validateProviderAddress,
	hns.RemoteSubnetRoute:   validateRemoteSubnetRoute,
	hns.VxlanPort:           decodeAs[struct{ Port uint16 }],
	hns.HostRoute:           validateHostRoute,
	hns.SetPolicy:           decodeAs[struct{ Id, Name, PolicyType, Values string }],
	hns.L4Proxy:             validateL4Proxy,
	hns.LayerConstraint:     decodeAs[map[string]any],
	hns.NetworkACL:          validateACL,
}

// subnetPolicies are the subnet policy types (hcn.SubnetPolicyType).
var subnetPolicies = map[string]policyRule{
	hns.VSID: decodeAs[hns.VSIDSetting],
	hns.VLAN: decodeAs[struct{ IsolationId uint32 }],
}

// v1PolicyTypes are HNS v1 type names with no v2 counterpart of that name.
// Assumption: a v1 policy sent to the v2 API (calico#8465: the containerd
// config written with "ROUTE") is refused as an invalid policy, 0x803b000d,
// not as an unknown type.
var v1PolicyTypes = map[string]bool{"ROUTE": true, "PA": true}

// validatePolicies checks ps against the known types and returns them with
// canonical type names, or the HNS code to fail with: 0x803b000e for an
// unknown type, 0x803b000d for bad settings. Type names match
// case-insensitively (Calico's SDNROUTE is accepted). Assumption: HNS reads
// policies back with their canonical type names.
func validatePolicies(ps []hns.Policy, known map[string]policyRule) ([]hns.Policy, uint32) {
	out := make([]hns.Policy, 0, len(ps))
	for _, p := range ps {
		if v1PolicyTypes[strings.ToUpper(p.Type)] {
			return nil, hns.InvalidPolicy
		}
		name, rule := lookupPolicy(p.Type, known)
		if rule == nil {
			return nil, hns.InvalidPolicyType
		}
		if err := validateSettings(p.Settings, rule); err != nil {
			return nil, hns.InvalidPolicy
		}
		out = append(out, hns.Policy{Type: name, Settings: p.Settings})
	}
	return out, 0
}

func lookupPolicy(typ string, known map[string]policyRule) (string, policyRule) {
	for name, rule := range known {
		if strings.EqualFold(name, typ) {
			return name, rule
		}
	}
	return "", nil
}

// validateSettings requires absent settings or a JSON object, then applies rule.
func validateSettings(settings json.RawMessage, rule policyRule) error {
	s := bytes.TrimSpace(settings)
	if len(s) == 0 || bytes.Equal(s, []byte("null")) {
		s = []byte("{}")
	}
	if s[0] != '{' {
		return errors.New("settings are not an object")
	}
	return rule(s)
}

// decodeAs accepts settings that decode into T (field types must match).
func decodeAs[T any](settings json.RawMessage) error {
	var v T
	return json.Unmarshal(settings, &v)
}

type interfaceConstraint struct {
	InterfaceGuid        string
	InterfaceLuid        uint64
	InterfaceIndex       uint32
	InterfaceMediaType   uint32
	InterfaceAlias       string
	InterfaceDescription string
}

type l4WfpProxy struct {
	InboundProxyPort, OutboundProxyPort string
	FilterTuple                         struct{ Protocols, LocalAddresses, RemoteAddresses, LocalPorts, RemotePorts string }
	UserSID                             string
}

func validateOutboundNAT(settings json.RawMessage) error {
	var s hns.OutboundNATSetting
	if err := json.Unmarshal(settings, &s); err != nil {
		return err
	}
	if s.VirtualIP != "" {
		if _, err := netip.ParseAddr(s.VirtualIP); err != nil {
			return err
		}
	}
	return errors.Join(addrsOrPrefixes(s.Exceptions), addrsOrPrefixes(s.Destinations))
}

func validateSDNRoute(settings json.RawMessage) error {
	var s hns.SDNRouteSetting
	if err := json.Unmarshal(settings, &s); err != nil {
		return err
	}
	if _, err := netip.ParsePrefix(s.DestinationPrefix); err != nil {
		return err
	}
	return optionalAddr(s.NextHop)
}

func validateProviderAddress(settings json.RawMessage) error {
	var s hns.ProviderAddressSetting
	if err := json.Unmarshal(settings, &s); err != nil {
		return err
	}
	_, err := netip.ParseAddr(s.ProviderAddress)
	return err
}

func validateRemoteSubnetRoute(settings json.RawMessage) error {
	var s hns.RemoteSubnetRouteSetting
	if err := json.Unmarshal(settings, &s); err != nil {
		return err
	}
	if _, err := netip.ParsePrefix(s.DestinationPrefix); err != nil {
		return err
	}
	_, err := netip.ParseAddr(s.ProviderAddress)
	return err
}

// validateHostRoute requires empty settings, as hcn documents.
func validateHostRoute(settings json.RawMessage) error {
	var m map[string]any
	if err := json.Unmarshal(settings, &m); err != nil {
		return err
	}
	if len(m) != 0 {
		return errors.New(hns.HostRoute + " takes no settings")
	}
	return nil
}

func validateL4Proxy(settings json.RawMessage) error {
	var s struct {
		IP          string
		Port        string
		Protocol    uint32
		Exceptions  []string
		Destination string
		OutboundNAT bool
	}
	if err := json.Unmarshal(settings, &s); err != nil {
		return err
	}
	return errors.Join(optionalAddr(s.IP), optionalAddr(s.Destination), addrsOrPrefixes(s.Exceptions))
}

func validateACL(settings json.RawMessage) error {
	var s hns.ACLSetting
	if err := json.Unmarshal(settings, &s); err != nil {
		return err
	}
	return errors.Join(
		oneOf("Action", s.Action, "Allow", "Block", "Pass"),
		oneOf("Direction", s.Direction, "In", "Out"),
		optional(s.RuleType, func(v string) error { return oneOf("RuleType", v, "Host", "Switch") }),
		list(s.Protocols, func(v string) error { return number(v, 256) }),
		list(s.LocalAddresses, addrOrPrefix),
		list(s.RemoteAddresses, addrOrPrefix),
		list(s.LocalPorts, portRange),
		list(s.RemotePorts, portRange),
	)
}

// portMapping is the PortMapping settings shape.
type portMapping struct {
	Protocol     uint32
	InternalPort uint16
	ExternalPort uint16
	VIP          string
	Flags        uint32
}

func validatePortMapping(settings json.RawMessage) error {
	var s portMapping
	if err := json.Unmarshal(settings, &s); err != nil {
		return err
	}
	if s.Protocol != 6 && s.Protocol != 17 {
		return fmt.Errorf("PortMapping protocol %d", s.Protocol)
	}
	return optionalAddr(s.VIP)
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return nil
		}
	}
	return fmt.Errorf("%s %q", field, v)
}

func optional(v string, check func(string) error) error {
	if v == "" {
		return nil
	}
	return check(v)
}

func optionalAddr(v string) error {
	return optional(v, func(v string) error { _, err := netip.ParseAddr(v); return err })
}

// list applies check to each element of a comma-separated list.
func list(v string, check func(string) error) error {
	if v == "" {
		return nil
	}
	for _, part := range strings.Split(v, ",") {
		if err := check(strings.TrimSpace(part)); err != nil {
			return err
		}
	}
	return nil
}

func addrOrPrefix(v string) error {
	if _, err := netip.ParseAddr(v); err == nil {
		return nil
	}
	_, err := netip.ParsePrefix(v)
	return err
}

func addrsOrPrefixes(vs []string) error {
	for _, v := range vs {
		if err := addrOrPrefix(v); err != nil {
			return err
		}
	}
	return nil
}

func number(v string, max uint64) error {
	n, err := strconv.ParseUint(v, 10, 32)
	if err == nil && n > max {
		err = fmt.Errorf("%d exceeds %d", n, max)
	}
	return err
}

// portRange accepts "80" or "1000-2000".
func portRange(v string) error {
	lo, hi, isRange := strings.Cut(v, "-")
	if err := number(lo, 65535); err != nil {
		return err
	}
	if isRange {
		return number(hi, 65535)
	}
	return nil
}

// samePolicy compares type names case-insensitively and settings as JSON
// values (key order and spacing do not matter; absent equals {}).
func samePolicy(a, b hns.Policy) bool {
	return strings.EqualFold(a.Type, b.Type) && reflect.DeepEqual(jsonValue(a.Settings), jsonValue(b.Settings))
}

func jsonValue(raw json.RawMessage) any {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return map[string]any{}
	}
	return v
}

func containsPolicy(ps []hns.Policy, p hns.Policy) bool {
	for _, q := range ps {
		if samePolicy(p, q) {
			return true
		}
	}
	return false
}
