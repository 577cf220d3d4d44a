package hns

import (
	"testing"
)

func TestFeaturesFor(t *testing.T) {
	type pick func(Features) bool
	feats := map[string]pick{
		"Acl":                      func(f Features) bool { return f.Acl },
		"V2Api":                    func(f Features) bool { return f.V2Api },
		"RemoteSubnet":             func(f Features) bool { return f.RemoteSubnet },
		"HostRoute":                func(f Features) bool { return f.HostRoute },
		"DSR":                      func(f Features) bool { return f.DSR },
		"Slash32EndpointPrefixes":  func(f Features) bool { return f.Slash32EndpointPrefixes },
		"AclSupportForProtocol252": func(f Features) bool { return f.AclSupportForProtocol252 },
		"SessionAffinity":          func(f Features) bool { return f.SessionAffinity },
		"IPv6DualStack":            func(f Features) bool { return f.IPv6DualStack },
		"SetPolicy":                func(f Features) bool { return f.SetPolicy },
		"VxlanPort":                func(f Features) bool { return f.VxlanPort },
		"L4Proxy":                  func(f Features) bool { return f.L4Proxy },
		"L4WfpProxy":               func(f Features) bool { return f.L4WfpProxy },
		"TierAcl":                  func(f Features) bool { return f.TierAcl },
		"NetworkACL":               func(f Features) bool { return f.NetworkACL },
		"NestedIpSet":              func(f Features) bool { return f.NestedIpSet },
		"DisableHostPort":          func(f Features) bool { return f.DisableHostPort },
		"ModifyLoadbalancer":       func(f Features) bool { return f.ModifyLoadbalancer },
		"Accelnet":                 func(f Features) bool { return f.Accelnet },
	}
	tests := []struct {
		feature string
		version Version
		want    bool
	}{
		{"Acl", Version{7, 1}, false},
		{"Acl", Version{7, 2}, true},
		{"V2Api", Version{9, 1}, false},
		{"V2Api", Version{9, 2}, true},
		{"V2Api", Version{8, 9}, false},
		{"RemoteSubnet", Version{9, 2}, true},
		{"HostRoute", Version{9, 1}, false},
		{"HostRoute", Version{10, 0}, true},
		// DSR: 9.3-9.x and 10.2+, so 10.0 and 10.1 lack it.
		{"DSR", Version{9, 2}, false},
		{"DSR", Version{9, 3}, true},
		{"DSR", Version{9, 99}, true},
		{"DSR", Version{10, 1}, false},
		{"DSR", Version{10, 2}, true},
		{"DSR", Version{15, 4}, true},
		{"Slash32EndpointPrefixes", Version{9, 3}, true},
		{"Slash32EndpointPrefixes", Version{10, 3}, false},
		{"Slash32EndpointPrefixes", Version{10, 4}, true},
		{"VxlanPort", Version{10, 2}, false},
		{"VxlanPort", Version{10, 3}, true},
		// L4Proxy was back-ported per major: 9.5+, 10.5+, 11.11+, 12.1+, 13.1+.
		{"L4Proxy", Version{9, 4}, false},
		{"L4Proxy", Version{9, 5}, true},
		{"L4Proxy", Version{10, 4}, false},
		{"L4Proxy", Version{10, 5}, true},
		{"L4Proxy", Version{11, 10}, false},
		{"L4Proxy", Version{11, 11}, true},
		{"L4Proxy", Version{12, 0}, false},
		{"L4Proxy", Version{12, 1}, true},
		{"L4Proxy", Version{13, 0}, false},
		{"L4Proxy", Version{13, 1}, true},
		{"L4Proxy", Version{15, 0}, true},
		{"AclSupportForProtocol252", Version{10, 9}, false},
		{"AclSupportForProtocol252", Version{11, 0}, true},
		{"IPv6DualStack", Version{11, 9}, false},
		{"IPv6DualStack", Version{11, 10}, true},
		{"IPv6DualStack", Version{12, 0}, true},
		{"SessionAffinity", Version{12, 0}, true},
		{"SetPolicy", Version{12, 9}, false},
		{"SetPolicy", Version{13, 0}, true},
		{"L4WfpProxy", Version{13, 1}, false},
		{"L4WfpProxy", Version{13, 2}, true},
		{"TierAcl", Version{13, 9}, false},
		{"TierAcl", Version{14, 0}, true},
		{"NetworkACL", Version{14, 9}, false},
		{"NetworkACL", Version{15, 0}, true},
		{"NestedIpSet", Version{15, 0}, true},
		{"DisableHostPort", Version{15, 0}, false},
		{"DisableHostPort", Version{15, 1}, true},
		{"ModifyLoadbalancer", Version{15, 3}, false},
		{"ModifyLoadbalancer", Version{15, 4}, true},
		{"Accelnet", Version{15, 4}, true},
		{"Accelnet", Version{16, 0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.feature+"@"+tt.version.String(), func(t *testing.T) {
			p, ok := feats[tt.feature]
			if !ok {
				t.Fatalf("unknown feature %q", tt.feature)
			}
			if got := p(FeaturesFor(tt.version)); got != tt.want {
				t.Errorf("FeaturesFor(%v).%s = %v, want %v", tt.version, tt.feature, got, tt.want)
			}
		})
	}
}

func TestFeaturesForZeroVersionHasNothing(t *testing.T) {
	if f := FeaturesFor(Version{}); f != (Features{}) {
		t.Errorf("FeaturesFor(0.0) = %+v, want no features", f)
	}
}

func TestVersionLess(t *testing.T) {
	tests := []struct {
		a, b Version
		want bool
	}{
		{Version{9, 2}, Version{9, 3}, true},
		{Version{9, 3}, Version{9, 2}, false},
		{Version{9, 9}, Version{10, 0}, true},
		{Version{10, 0}, Version{10, 0}, false},
	}
	for _, tt := range tests {
		if got := tt.a.Less(tt.b); got != tt.want {
			t.Errorf("%v.Less(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
