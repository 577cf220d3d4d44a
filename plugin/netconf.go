package plugin

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// NetConf is Calico's Windows network configuration: the keys of Calico's
// types.NetConf and hns.NetConf that this plugin reads. Keys it accepts and
// ignores on Windows are listed in the README, not carried here. Go's JSON
// decoding matches keys case-insensitively, so DNS/dns and
// RuntimeConfig/runtimeConfig both work. Unknown keys are ignored.
type NetConf struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`

	Mode                               string        `json:"mode"`
	VXLANVNI                           uint64        `json:"vxlan_vni"`
	VXLANMacPrefix                     string        `json:"vxlan_mac_prefix"`
	WindowsUseSingleNetwork            bool          `json:"windows_use_single_network"`
	WindowsDisableDefaultDenyAllPolicy bool          `json:"windows_disable_default_deny_all_policy"`
	WindowsLoopbackDSR                 bool          `json:"windows_loopback_DSR"`
	Policies                           []NamedPolicy `json:"policies"`
	DNS                                DNSConf       `json:"dns"`
	RuntimeConfig                      RuntimeConfig `json:"runtimeConfig"`

	IPAM IPAMConf `json:"ipam"`

	Nodename             string `json:"nodename"`
	NodenameFile         string `json:"nodename_file"`
	NodenameFileOptional bool   `json:"nodename_file_optional"`
	Hostname             string `json:"hostname"`
	IPAMLockFile         string `json:"ipam_lock_file"`

	DatastoreType  string `json:"datastore_type"`
	EtcdEndpoints  string `json:"etcd_endpoints"`
	EtcdKeyFile    string `json:"etcd_key_file"`
	EtcdCertFile   string `json:"etcd_cert_file"`
	EtcdCACertFile string `json:"etcd_ca_cert_file"`

	Kubernetes     KubernetesConf `json:"kubernetes"`
	Policy         PolicyConf     `json:"policy"`
	CalicoAPIGroup string         `json:"calico_api_group"`

	LogLevel        string `json:"log_level"`
	LogFilePath     string `json:"log_file_path"`
	LogFileMaxSize  int    `json:"log_file_max_size"`
	LogFileMaxAge   int    `json:"log_file_max_age"`
	LogFileMaxCount int    `json:"log_file_max_count"`

	MTU                       int             `json:"mtu"`
	DeviceType                string          `json:"device_type"`
	RequireMTUFile            bool            `json:"require_mtu_file"`
	FeatureControl            FeatureControl  `json:"feature_control"`
	ReadinessGates            []string        `json:"readiness_gates"`
	PolicySetupTimeoutSeconds int             `json:"policy_setup_timeout_seconds"`
	PrevResult                json.RawMessage `json:"prevResult,omitempty"`

	// GC: nil when the runtime sent no list (then nothing is collected).
	ValidAttachments *[]Attachment `json:"cni.dev/valid-attachments,omitempty"`
	Attachments      *[]Attachment `json:"cni.dev/attachments,omitempty"`
}

// Attachment is one entry of cni.dev/valid-attachments.
type Attachment struct {
	ContainerID string `json:"containerID"`
	IfName      string `json:"ifname"`
}

// NamedPolicy is an entry of "policies"; entries named EndpointPolicy carry a
// raw HNS endpoint policy.
type NamedPolicy struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// DNSConf is the conf's DNS block (types.DNS).
type DNSConf struct {
	Nameservers []string `json:"nameservers"`
	Domain      string   `json:"domain"`
	Search      []string `json:"search"`
	Options     []string `json:"options"`
}

// RuntimeConfig is what the runtime passes for capabilities.
type RuntimeConfig struct {
	DNS struct {
		Servers  []string `json:"servers"`
		Domain   string   `json:"domain"`
		Searches []string `json:"searches"`
		Options  []string `json:"options"`
	} `json:"dns"`
}

// IPAMConf is the ipam block.
type IPAMConf struct {
	Type       string   `json:"type"`
	AssignIPv4 *string  `json:"assign_ipv4"`
	AssignIPv6 *string  `json:"assign_ipv6"`
	IPv4Pools  []string `json:"ipv4_pools"`
}

// KubernetesConf is the kubernetes block.
type KubernetesConf struct {
	Kubeconfig string `json:"kubeconfig"`
	K8sAPIRoot string `json:"k8s_api_root"`
	NodeName   string `json:"node_name"`
}

// PolicyConf is the policy block.
type PolicyConf struct {
	Type                    string `json:"type"`
	K8sAPIRoot              string `json:"k8s_api_root"`
	K8sAuthToken            string `json:"k8s_auth_token"`
	K8sClientCertificate    string `json:"k8s_client_certificate"`
	K8sClientKey            string `json:"k8s_client_key"`
	K8sCertificateAuthority string `json:"k8s_certificate_authority"`
}

// FeatureControl gates annotation features.
type FeatureControl struct {
	IPAddrsNoIpam bool `json:"ip_addrs_no_ipam"`
	FloatingIPs   bool `json:"floating_ips"`
}

// Defaults Calico applies.
const (
	DefaultVNI          = 4096
	DefaultMacPrefix    = "0E-2A"
	DefaultNodenameFile = "/var/lib/calico/nodename"
)

// ConfigError is a problem with the network configuration; it names the key.
type ConfigError struct {
	Key, Value, Reason string
}

func (e *ConfigError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("invalid network config: %s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("invalid network config: %s %q: %s", e.Key, e.Value, e.Reason)
}

// ParseNetConf decodes and validates stdin's network configuration and
// fills Calico's defaults.
func ParseNetConf(b []byte) (*NetConf, error) {
	nc := &NetConf{}
	if err := decodeNetConf(b, nc); err != nil {
		return nil, &ConfigError{Key: "network config", Reason: "not valid JSON: " + err.Error()}
	}
	if nc.VXLANVNI == 0 {
		nc.VXLANVNI = DefaultVNI
	}
	if nc.VXLANMacPrefix == "" {
		nc.VXLANMacPrefix = DefaultMacPrefix
	}
	if nc.ValidAttachments == nil {
		nc.ValidAttachments = nc.Attachments
	}
	return nc, nc.validate()
}

func (nc *NetConf) validate() error {
	if nc.Name == "" {
		return &ConfigError{Key: "name", Reason: "required"}
	}
	if !isNetworkName(nc.Name) {
		return &ConfigError{Key: "name", Value: nc.Name, Reason: "must match " + networkNamePattern}
	}
	if err := nc.validateMode(); err != nil {
		return err
	}
	return nc.validateRest()
}

func (nc *NetConf) validateMode() error {
	switch nc.Mode {
	case ModeVXLAN:
		return nc.validateVXLAN()
	case ModeBGP, "":
		// L2Bridge: the vxlan_* keys mean nothing, as in Calico.
		return nil
	}
	return &ConfigError{Key: "mode", Value: nc.Mode, Reason: `must be "vxlan" (HNS Overlay), "windows-bgp" or empty (HNS L2Bridge)`}
}

// The networking modes: Calico's installer writes "vxlan" for VXLAN
// clusters and "windows-bgp" for BGP ones; Calico treats an empty mode as
// BGP (L2Bridge).
const (
	ModeVXLAN = "vxlan"
	ModeBGP   = "windows-bgp"
)

// validateVXLAN checks the keys of VXLAN mode.
func (nc *NetConf) validateVXLAN() error {
	if nc.VXLANVNI < 4096 {
		return &ConfigError{Key: "vxlan_vni", Value: fmt.Sprint(nc.VXLANVNI), Reason: "Windows does not support VXLANVNI < 4096"}
	}
	if nc.VXLANVNI > 1<<24-1 {
		return &ConfigError{Key: "vxlan_vni", Value: fmt.Sprint(nc.VXLANVNI), Reason: "a VXLAN VNI has 24 bits"}
	}
	if !validMacPrefix(nc.VXLANMacPrefix) {
		return &ConfigError{Key: "vxlan_mac_prefix", Value: nc.VXLANMacPrefix,
			Reason: fmt.Sprintf("endpointMacPrefix [%s] is invalid, value must be of the format xx-xx", nc.VXLANMacPrefix)}
	}
	return nil
}

// validateRest checks the keys every mode shares.
func (nc *NetConf) validateRest() error {
	switch nc.DeviceType {
	case "", "veth", "netkit":
	default:
		return &ConfigError{Key: "device_type", Value: nc.DeviceType, Reason: `must be empty, "veth" or "netkit"`}
	}
	if nc.PolicySetupTimeoutSeconds < 0 {
		return &ConfigError{Key: "policy_setup_timeout_seconds", Value: fmt.Sprint(nc.PolicySetupTimeoutSeconds), Reason: "must not be negative"}
	}
	for _, k := range []struct{ key, v string }{{"ipam.assign_ipv4", deref(nc.IPAM.AssignIPv4)}, {"ipam.assign_ipv6", deref(nc.IPAM.AssignIPv6)}} {
		if k.v != "" && k.v != "true" && k.v != "false" {
			return &ConfigError{Key: k.key, Value: k.v, Reason: `must be "true" or "false"`}
		}
	}
	if nc.MTU != 0 && (nc.MTU < minMTU || nc.MTU > maxMTU) {
		return &ConfigError{Key: "mtu", Value: fmt.Sprint(nc.MTU), Reason: fmt.Sprintf("must be 0 (unset) or %d-%d", minMTU, maxMTU)}
	}
	if err := checkIPAMType(nc.IPAM.Type); err != nil {
		return err
	}
	if deref(nc.IPAM.AssignIPv6) == "true" {
		return &ConfigError{Key: "ipam.assign_ipv6", Value: "true", Reason: "IPv6 is not supported on Windows nodes by this plugin"}
	}
	if !validDatastoreType(nc.DatastoreType) {
		return &ConfigError{Key: "datastore_type", Value: nc.DatastoreType, Reason: `must be "etcdv3" or "kubernetes"`}
	}
	if nc.EtcdEndpoints != "" {
		if _, err := etcdEndpoints(nc.EtcdEndpoints); err != nil {
			return err
		}
	}
	return nc.validatePolicies()
}

// validatePolicies checks the EndpointPolicy entries before HNS sees them:
// a bad CIDR there otherwise surfaces as HNS's cryptic 0x803b000d at pod start.
func (nc *NetConf) validatePolicies() error {
	for i, p := range nc.Policies {
		if !strings.EqualFold(p.Name, "EndpointPolicy") {
			continue
		}
		key := fmt.Sprintf("policies[%d].value", i)
		var v map[string]json.RawMessage
		if err := json.Unmarshal(p.Value, &v); err != nil {
			return &ConfigError{Key: key, Reason: "must be a JSON object: " + err.Error()}
		}
		var typ string
		if err := json.Unmarshal(v["Type"], &typ); err != nil || typ == "" {
			return &ConfigError{Key: key + ".Type", Reason: "required"}
		}
		for _, field := range []string{"ExceptionList", "Exceptions", "Destinations"} {
			raw, ok := v[field]
			if !ok {
				continue
			}
			var list []string
			if err := json.Unmarshal(raw, &list); err != nil {
				return &ConfigError{Key: key + "." + field, Reason: "must be a list of strings"}
			}
			for _, s := range list {
				if !validAddrOrPrefix(s) {
					return &ConfigError{Key: key + "." + field, Value: s, Reason: "not an IP address or CIDR"}
				}
			}
		}
		if raw, ok := v["DestinationPrefix"]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil || !validAddrOrPrefix(s) {
				return &ConfigError{Key: key + ".DestinationPrefix", Value: strings.Trim(string(raw), `"`), Reason: "not a CIDR"}
			}
		}
	}
	return nil
}

func validAddrOrPrefix(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// validMacPrefix accepts Calico's "xx-xx" form with hex digits.
func validMacPrefix(p string) bool {
	if len(p) != 5 || p[2] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(p[i])) {
			return false
		}
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// EndpointPolicies returns the raw values of the EndpointPolicy entries.
func (nc *NetConf) EndpointPolicies() []json.RawMessage {
	var out []json.RawMessage
	for _, p := range nc.Policies {
		if strings.EqualFold(p.Name, "EndpointPolicy") {
			out = append(out, p.Value)
		}
	}
	return out
}

// The MTUs an interface may have: 576 is IPv4's minimum datagram every host
// must accept (and Windows' floor for an interface MTU), 65535 the largest
// an IPv4 packet can be.
const (
	minMTU = 576
	maxMTU = 65535
)

// etcdEndpoints splits and checks etcd_endpoints (or $ETCD_ENDPOINTS): each
// an http(s) URL with a host and, if given, a numeric port. "http://" alone
// would otherwise pass and fail only when the store is opened.
func etcdEndpoints(list string) ([]string, error) {
	var out []string
	for _, ep := range strings.Split(list, ",") {
		ep = strings.TrimSpace(ep)
		u, err := url.Parse(ep)
		switch {
		case err != nil:
			return nil, &ConfigError{Key: "etcd_endpoints", Value: ep, Reason: "not a URL: " + err.Error()}
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, &ConfigError{Key: "etcd_endpoints", Value: ep, Reason: "each endpoint must be an http:// or https:// URL"}
		case u.Hostname() == "":
			return nil, &ConfigError{Key: "etcd_endpoints", Value: ep, Reason: "the URL has no host"}
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return nil, &ConfigError{Key: "etcd_endpoints", Value: ep, Reason: "the port must be a number from 1 to 65535"}
			}
		}
		out = append(out, ep)
	}
	return out, nil
}
