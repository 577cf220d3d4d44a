package plugin

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The network configuration is decoded field by field rather than by one
// json.Unmarshal into NetConf: in a fresh process encoding/json's first
// decoding of a struct type reflects over all its fields (about 1 us a
// field, and NetConf has 45), and every CNI call is a fresh process. Each
// key's value is still decoded by json.Unmarshal into its field, and
// anything the field-by-field path would treat differently from
// json.Unmarshal (invalid JSON, a key that matches a field only without
// regard to case, a key given twice, a value of the wrong type, whose
// error names the struct field) is decoded by json.Unmarshal into NetConf,
// so the result and the error are always json.Unmarshal's
// (netconfdecode_test.go compares the two, and checks that every field of
// NetConf is listed here).

// netConfFields maps each JSON key of NetConf to its field.
var netConfFields = [...]struct {
	key   string
	field func(nc *NetConf) any
}{
	{"cniVersion", func(nc *NetConf) any { return &nc.CNIVersion }},
	{"name", func(nc *NetConf) any { return &nc.Name }},
	{"mode", func(nc *NetConf) any { return &nc.Mode }},
	{"vxlan_vni", func(nc *NetConf) any { return &nc.VXLANVNI }},
	{"vxlan_mac_prefix", func(nc *NetConf) any { return &nc.VXLANMacPrefix }},
	{"windows_use_single_network", func(nc *NetConf) any { return &nc.WindowsUseSingleNetwork }},
	{"windows_disable_default_deny_all_policy", func(nc *NetConf) any { return &nc.WindowsDisableDefaultDenyAllPolicy }},
	{"windows_loopback_DSR", func(nc *NetConf) any { return &nc.WindowsLoopbackDSR }},
	{"policies", func(nc *NetConf) any { return &nc.Policies }},
	{"dns", func(nc *NetConf) any { return &nc.DNS }},
	{"runtimeConfig", func(nc *NetConf) any { return &nc.RuntimeConfig }},
	{"ipam", func(nc *NetConf) any { return &nc.IPAM }},
	{"nodename", func(nc *NetConf) any { return &nc.Nodename }},
	{"nodename_file", func(nc *NetConf) any { return &nc.NodenameFile }},
	{"nodename_file_optional", func(nc *NetConf) any { return &nc.NodenameFileOptional }},
	{"hostname", func(nc *NetConf) any { return &nc.Hostname }},
	{"ipam_lock_file", func(nc *NetConf) any { return &nc.IPAMLockFile }},
	{"datastore_type", func(nc *NetConf) any { return &nc.DatastoreType }},
	{"etcd_endpoints", func(nc *NetConf) any { return &nc.EtcdEndpoints }},
	{"etcd_key_file", func(nc *NetConf) any { return &nc.EtcdKeyFile }},
	{"etcd_cert_file", func(nc *NetConf) any { return &nc.EtcdCertFile }},
	{"etcd_ca_cert_file", func(nc *NetConf) any { return &nc.EtcdCACertFile }},
	{"kubernetes", func(nc *NetConf) any { return &nc.Kubernetes }},
	{"policy", func(nc *NetConf) any { return &nc.Policy }},
	{"calico_api_group", func(nc *NetConf) any { return &nc.CalicoAPIGroup }},
	{"log_level", func(nc *NetConf) any { return &nc.LogLevel }},
	{"log_file_path", func(nc *NetConf) any { return &nc.LogFilePath }},
	{"log_file_max_size", func(nc *NetConf) any { return &nc.LogFileMaxSize }},
	{"log_file_max_age", func(nc *NetConf) any { return &nc.LogFileMaxAge }},
	{"log_file_max_count", func(nc *NetConf) any { return &nc.LogFileMaxCount }},
	{"mtu", func(nc *NetConf) any { return &nc.MTU }},
	{"device_type", func(nc *NetConf) any { return &nc.DeviceType }},
	{"require_mtu_file", func(nc *NetConf) any { return &nc.RequireMTUFile }},
	{"feature_control", func(nc *NetConf) any { return &nc.FeatureControl }},
	{"readiness_gates", func(nc *NetConf) any { return &nc.ReadinessGates }},
	{"policy_setup_timeout_seconds", func(nc *NetConf) any { return &nc.PolicySetupTimeoutSeconds }},
	{"prevResult", func(nc *NetConf) any { return &nc.PrevResult }},
	{"cni.dev/valid-attachments", func(nc *NetConf) any { return &nc.ValidAttachments }},
	{"cni.dev/attachments", func(nc *NetConf) any { return &nc.Attachments }},
}

// decodeNetConf is json.Unmarshal(b, nc) for a zero nc.
func decodeNetConf(b []byte, nc *NetConf) error {
	if json.Valid(b) && decodeNetConfFields(b, nc) {
		return nil
	}
	*nc = NetConf{}
	return json.Unmarshal(b, nc)
}

// decodeNetConfFields decodes the object b (valid JSON) key by key; it
// reports false, leaving nc partly set, where json.Unmarshal could differ.
func decodeNetConfFields(b []byte, nc *NetConf) bool {
	s := jsonScanner{b: b}
	if s.peek() != '{' {
		return false
	}
	s.i++
	var seen [len(netConfFields)]bool
	if s.peek() == '}' {
		return true
	}
	for {
		key, ok := s.plainString()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		start := s.at()
		s.skip()
		raw := b[start:s.i]
		idx := -1
		for i, f := range netConfFields {
			if f.key == string(key) {
				idx = i
				break
			}
			if bytes.EqualFold(key, []byte(f.key)) {
				return false // json.Unmarshal matches it without regard to case
			}
		}
		switch {
		case idx < 0 && !isASCII(key):
			return false // Unicode case folding: leave it to json.Unmarshal
		case idx >= 0 && seen[idx]:
			return false // given twice: an object would be merged
		case idx >= 0:
			seen[idx] = true
			if json.Unmarshal(raw, netConfFields[idx].field(nc)) != nil {
				return false // its error names the field of NetConf
			}
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			return true
		default:
			return false
		}
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// jsonScanner walks JSON text known to be valid.
type jsonScanner struct {
	b []byte
	i int
}

// peek returns the next byte that is not white space (0 at the end).
func (s *jsonScanner) peek() byte {
	s.i = s.at()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// at is the offset of the next byte that is not white space.
func (s *jsonScanner) at() int {
	i := s.i
	for i < len(s.b) && (s.b[i] == ' ' || s.b[i] == '\t' || s.b[i] == '\n' || s.b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a string without escapes and returns its content.
func (s *jsonScanner) plainString() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	j := bytes.IndexByte(s.b[s.i+1:], '"')
	if j < 0 {
		return nil, false
	}
	v := s.b[s.i+1 : s.i+1+j]
	if bytes.IndexByte(v, '\\') >= 0 {
		return nil, false
	}
	s.i += j + 2
	return v, true
}

// skip passes over one value.
func (s *jsonScanner) skip() {
	switch s.peek() {
	case '"':
		for j := s.i + 1; j < len(s.b); j++ {
			switch s.b[j] {
			case '\\':
				j++
			case '"':
				s.i = j + 1
				return
			}
		}
		s.i = len(s.b)
	case '{', '[':
		depth := 0
		for ; s.i < len(s.b); s.i++ {
			switch s.b[s.i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return
				}
			case '"':
				s.skip()
				s.i-- // the loop steps past the string's end
			}
		}
	default: // a number, true, false or null
		for ; s.i < len(s.b); s.i++ {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
		}
	}
}
