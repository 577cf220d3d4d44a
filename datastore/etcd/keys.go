package etcd

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/datastore"
)

// Calico's etcd keys (libcalico-go backend/model), byte for byte.
const (
	ipamConfigKey      = "/calico/ipam/v2/config"
	handlePrefix       = "/calico/ipam/v2/handle/"
	resourcePrefix     = "/calico/resources/v3/projectcalico.org/"
	ipPoolPrefix       = resourcePrefix + "ippools/"
	reservationsPrefix = resourcePrefix + "ipreservations/"
	profilePrefix      = resourcePrefix + "profiles/"
	clusterInfoKey     = resourcePrefix + "clusterinformations/default"
	nodePrefix         = resourcePrefix + "nodes/"
	endpointsPrefix    = resourcePrefix + "workloadendpoints/"
)

func ipVersion(p netip.Prefix) string {
	if p.Addr().Is4() {
		return "ipv4"
	}
	return "ipv6"
}

func blockPrefix(version string) string {
	return "/calico/ipam/v2/assignment/" + version + "/block/"
}

func blockKey(cidr netip.Prefix) string {
	return blockPrefix(ipVersion(cidr)) + datastore.BlockKeySuffix(cidr)
}

// affinityPrefix lists the IPv4 affinities of a host, the only ones the
// Windows plugin claims.
func affinityPrefix(host string) string {
	return "/calico/ipam/v2/host/" + host + "/ipv4/block/"
}

func affinityKey(host string, cidr netip.Prefix) string {
	return "/calico/ipam/v2/host/" + host + "/" + ipVersion(cidr) + "/block/" + datastore.BlockKeySuffix(cidr)
}

func handleKey(id string) string { return handlePrefix + id }

func nodeKey(name string) string { return nodePrefix + name }

func endpointKey(k datastore.WEPKey) string {
	return endpointsPrefix + k.Namespace + "/" + k.Name
}

// cidrFromKey parses the CIDR at the end of a block or affinity key.
func cidrFromKey(key string) (netip.Prefix, error) {
	i := strings.LastIndexByte(key, '/')
	p, err := datastore.ParseBlockKeySuffix(key[i+1:])
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("etcd: key %s: %w", key, err)
	}
	return p, nil
}
