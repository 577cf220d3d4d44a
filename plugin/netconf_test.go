package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Real-world configurations (testdata/) parse, with Calico's defaults and
// case-insensitive keys; a conflist's plugin entry is what the runtime
// passes on stdin.
func TestTestdataConfigsParse(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.conf")
	if len(files) < 3 {
		t.Fatalf("testdata configs: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var list struct {
				Name       string            `json:"name"`
				CNIVersion string            `json:"cniVersion"`
				Plugins    []json.RawMessage `json:"plugins"`
			}
			json.Unmarshal(b, &list)
			if len(list.Plugins) > 0 {
				var m map[string]any
				json.Unmarshal(list.Plugins[0], &m)
				m["name"], m["cniVersion"] = list.Name, list.CNIVersion
				b, _ = json.Marshal(m)
			}
			nc, err := ParseNetConf(b)
			if err != nil {
				t.Fatal(err)
			}
			if nc.Name != "Calico" || nc.Mode != "vxlan" || nc.VXLANVNI != 4096 || nc.VXLANMacPrefix != "0E-2A" ||
				!nc.WindowsUseSingleNetwork || nc.Policy.Type != "k8s" || nc.IPAM.Type != "calico-ipam" ||
				len(nc.EndpointPolicies()) != 2 || len(nc.DNS.Nameservers) != 1 {
				t.Errorf("parsed %+v", nc)
			}
		})
	}
}

func TestNetConfValidation(t *testing.T) {
	base := map[string]any{"name": "Calico", "mode": "vxlan"}
	for _, tc := range []struct {
		key  string
		val  any
		want string // "" = valid
	}{
		{"vxlan_vni", 4095, "Windows does not support VXLANVNI < 4096"},
		{"vxlan_vni", 4096, ""},
		{"vxlan_vni", 1 << 24, "24 bits"},
		{"vxlan_mac_prefix", "0E:2A", "value must be of the format xx-xx"},
		{"vxlan_mac_prefix", "0g-2a", "xx-xx"},
		{"vxlan_mac_prefix", "0e-2a", ""},
		{"mode", "l2bridge", `mode "l2bridge"`},
		{"mode", "windows-bgp", ""},
		{"mode", "", ""},
		{"name", "bad name", "name"},
		{"device_type", "tap", "device_type"},
		{"policy_setup_timeout_seconds", -1, "policy_setup_timeout_seconds"},
		{"datastore_type", "consul", "datastore_type"},
		{"etcd_endpoints", "http://a:1, 10.0.0.1:2379", "etcd_endpoints"},
		{"ipam", map[string]any{"assign_ipv4": "yes"}, "ipam.assign_ipv4"},
		{"policies", []any{map[string]any{"name": "EndpointPolicy", "value": "x"}}, "policies[0].value"},
		{"policies", []any{map[string]any{"name": "EndpointPolicy", "value": map[string]any{"ExceptionList": []string{"10.0.0.0/8"}}}}, "policies[0].value.Type"},
		{"policies", []any{map[string]any{"name": "EndpointPolicy", "value": map[string]any{"Type": "OutBoundNAT", "ExceptionList": []string{"10.0.0.0/8", "nope"}}}}, `"nope"`},
		{"policies", []any{map[string]any{"name": "Other", "value": "anything"}}, ""},
	} {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		m[tc.key] = tc.val
		b, _ := json.Marshal(m)
		_, err := ParseNetConf(b)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s=%v: unexpected %v", tc.key, tc.val, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s=%v: error %v, want %q", tc.key, tc.val, err, tc.want)
		}
	}
	// The vxlan_* keys mean nothing in BGP mode, as in Calico.
	if _, err := ParseNetConf([]byte(`{"name":"Calico","mode":"windows-bgp","vxlan_vni":7,"vxlan_mac_prefix":"x"}`)); err != nil {
		t.Errorf("windows-bgp with VXLAN keys: %v", err)
	}
	if _, err := ParseNetConf([]byte(`{"name":`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("malformed JSON: %v", err)
	}
}
