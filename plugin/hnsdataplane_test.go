package plugin

import (
	"testing"

	"github.com/calico-win/cni/dataplane"
)

// The netconf's mode picks the dataplane's Mode: vxlan is Overlay with the
// conf's VNI and MAC prefix; windows-bgp and an empty mode are L2Bridge, as
// in Calico.
func TestDataplaneMode(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want dataplane.Mode
	}{
		{`{"name":"Calico","mode":"vxlan","vxlan_vni":5000,"vxlan_mac_prefix":"0E-2B"}`, dataplane.Overlay(5000, "0E-2B")},
		{`{"name":"Calico","mode":"windows-bgp"}`, dataplane.L2Bridge()},
		{`{"name":"Calico"}`, dataplane.L2Bridge()},
	} {
		nc, err := ParseNetConf([]byte(tc.conf))
		if err != nil {
			t.Fatalf("%s: %v", tc.conf, err)
		}
		if got := dataplaneMode(nc); got != tc.want {
			t.Errorf("%s: mode %#v, want %#v", tc.conf, got, tc.want)
		}
	}
}
