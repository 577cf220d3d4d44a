package kdd

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/datastore"
)

// Labels Calico puts on every BlockAffinity, so that a host's affinities are
// found with a label selector instead of a list of the whole cluster's.
const (
	labelHostnameHash = "projectcalico.org/hostname-hash"
	labelAffinityType = "projectcalico.org/affinity-type"
	labelIPVersion    = "projectcalico.org/ip-version"
)

// affinityTypeHost is the only affinity type the CNI plugin makes (the other,
// "virtual", belongs to load balancer IPAM).
const affinityTypeHost = "host"

// blockName is the object name of a block: 10.244.1.0/26 -> 10-244-1-0-26.
func blockName(cidr netip.Prefix) string { return datastore.BlockName(cidr) }

// handleName is the object name of a handle: its ID in lower case (object
// names may not hold capitals; spec.handleID keeps the case).
func handleName(id string) string { return strings.ToLower(id) }

// affinityName is libcalico-go's BlockAffinity name, <host>-<block name>.
// A name that would reach 253 characters keeps as much of the host as fits
// beside the block name and 11 hex digits of sha256("<host>+<block name>").
func affinityName(host string, cidr netip.Prefix) string {
	cidrName := blockName(cidr)
	name := host + "-" + cidrName
	if len(name) < 253 {
		return name
	}
	sum := sha256.Sum256([]byte(host + "+" + cidrName))
	return host[:252-len(cidrName)-13] + "-" + cidrName + "-" + hex.EncodeToString(sum[:])[:11]
}

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// hostnameHash is the value of the hostname-hash label: a host name can be
// longer than the 63 characters a label value may have, SHA3-256 in base32
// without padding cannot (52 characters).
func hostnameHash(host string) string {
	sum := sha3.Sum256([]byte(host))
	return base32NoPad.EncodeToString(sum[:])
}

// affinityLabels are the labels of a host's affinity of block cidr.
func affinityLabels(host string, cidr netip.Prefix) map[string]string {
	v := "4"
	if cidr.Addr().Is6() {
		v = "6"
	}
	return map[string]string{labelHostnameHash: hostnameHash(host), labelAffinityType: affinityTypeHost, labelIPVersion: v}
}

// affinitySelector selects the host affinities of one host.
func affinitySelector(host string) string {
	return labelAffinityType + "=" + affinityTypeHost + "," + labelHostnameHash + "=" + hostnameHash(host)
}

// ErrInvalidHandleID: a handle ID that is not a valid object name once in
// lower case (libcalico-go's name, which Calico's Kubernetes datastore
// refuses as well). The handle ID is "<network name>.<container ID>", so it
// is the network's name that must change.
var ErrInvalidHandleID = errors.New("the IPAM handle ID cannot be an object name on the Kubernetes datastore " +
	"(lower case letters, digits, '-' and '.', at most 253): the network's \"name\" in the CNI config must be such a name")

// checkHandleID refuses a handle whose object name the API server would
// refuse, before anything is written.
func checkHandleID(id string) error {
	if !isDNSSubdomain(handleName(id)) {
		return fmt.Errorf("%w: %q", ErrInvalidHandleID, id)
	}
	return nil
}

// isDNSSubdomain is Kubernetes' RFC 1123 subdomain: the names of custom
// resources.
func isDNSSubdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}
