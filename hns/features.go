package hns

import (
	"fmt"
	"math"
)

// Features are the HNS capabilities hcn derives from the HNS version
// (hcn.SupportedFeatures). Both the Windows adapter and the simulator derive
// them with FeaturesFor, so a simulated version exercises the same code paths
// (DSR on/off, /32 prefixes, ...) as a real host with that version.
type Features struct {
	Acl                      bool // ACL address lists, port ranges, rule IDs (HNS 1803, 7.2+)
	V2Api                    bool
	RemoteSubnet             bool
	HostRoute                bool
	DSR                      bool
	Slash32EndpointPrefixes  bool
	AclSupportForProtocol252 bool
	SessionAffinity          bool
	IPv6DualStack            bool
	SetPolicy                bool
	VxlanPort                bool
	L4Proxy                  bool
	L4WfpProxy               bool
	TierAcl                  bool
	NetworkACL               bool
	NestedIpSet              bool
	DisableHostPort          bool
	ModifyLoadbalancer       bool
	Accelnet                 bool
}

// versionRange is an inclusive range of HNS versions.
type versionRange struct{ min, max Version }

var maxVersion = Version{Major: math.MaxInt32, Minor: math.MaxInt32}

// since returns the open range [major.minor, ∞).
func since(major, minor int) versionRange {
	return versionRange{Version{major, minor}, maxVersion}
}

// from is the common case of a feature present since one version.
func from(major, minor int) []versionRange { return []versionRange{since(major, minor)} }

// within returns [major.minor, major.∞): a feature back-ported to one major.
func within(major, minor int) versionRange {
	return versionRange{Version{major, minor}, Version{major, math.MaxInt32}}
}

// The ranges are hcn's (microsoft/hcsshim:hcn/hcnglobals.go, v0.14.1).
var (
	aclVersions          = from(7, 2)
	v2APIVersions        = from(9, 2)
	remoteSubnetVersions = from(9, 2)
	hostRouteVersions    = from(9, 2)
	dsrVersions          = []versionRange{within(9, 3), since(10, 2)}
	slash32Versions      = []versionRange{within(9, 3), since(10, 4)}
	acl252Versions       = from(11, 0)
	sessionAffVersions   = from(12, 0)
	ipv6DualVersions     = from(11, 10)
	setPolicyVersions    = from(13, 0)
	vxlanPortVersions    = from(10, 3)
	l4ProxyVersions      = []versionRange{within(9, 5), within(10, 5), within(11, 11), within(12, 1), since(13, 1)}
	l4WfpProxyVersions   = from(13, 2)
	tierAclVersions      = from(14, 0)
	networkACLVersions   = from(15, 0)
	nestedIpSetVersions  = from(15, 0)
	disableHostPortVers  = from(15, 1)
	modifyLBVersions     = from(15, 4)
	accelnetVersions     = from(15, 4)
)

// Less reports whether v is an older version than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	return v.Minor < w.Minor
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

func inRanges(v Version, ranges []versionRange) bool {
	for _, r := range ranges {
		if !v.Less(r.min) && !r.max.Less(v) {
			return true
		}
	}
	return false
}

// FeaturesFor derives the feature set of HNS version v exactly as hcn does.
func FeaturesFor(v Version) Features {
	return Features{
		Acl:                      inRanges(v, aclVersions),
		V2Api:                    inRanges(v, v2APIVersions),
		RemoteSubnet:             inRanges(v, remoteSubnetVersions),
		HostRoute:                inRanges(v, hostRouteVersions),
		DSR:                      inRanges(v, dsrVersions),
		Slash32EndpointPrefixes:  inRanges(v, slash32Versions),
		AclSupportForProtocol252: inRanges(v, acl252Versions),
		SessionAffinity:          inRanges(v, sessionAffVersions),
		IPv6DualStack:            inRanges(v, ipv6DualVersions),
		SetPolicy:                inRanges(v, setPolicyVersions),
		VxlanPort:                inRanges(v, vxlanPortVersions),
		L4Proxy:                  inRanges(v, l4ProxyVersions),
		L4WfpProxy:               inRanges(v, l4WfpProxyVersions),
		TierAcl:                  inRanges(v, tierAclVersions),
		NetworkACL:               inRanges(v, networkACLVersions),
		NestedIpSet:              inRanges(v, nestedIpSetVersions),
		DisableHostPort:          inRanges(v, disableHostPortVers),
		ModifyLoadbalancer:       inRanges(v, modifyLBVersions),
		Accelnet:                 inRanges(v, accelnetVersions),
	}
}
