package plugin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
)

// usePodCidr is Calico's placeholder for the node's pod CIDR in a host-local
// IPAM config.
const usePodCidr = "usePodCidr"

// hostLocalStdin returns the config to hand to host-local: "usePodCidr" in
// ipam.subnet (or in ipam.ranges) replaced with the node's IPv4 pod CIDR
// from the Kubernetes API, and, as Calico does on Windows, the range
// clamped to start at .3 and end before the broadcast address, so
// host-local also leaves the network, the gateway, the host endpoint and
// broadcast addresses alone. For DEL the CIDR does not matter (host-local
// releases by container ID) and a placeholder network is used, so a DEL
// never needs the API server.
func (c *call) hostLocalStdin(forDel bool) ([]byte, error) {
	var conf map[string]any
	if err := json.Unmarshal(c.args.StdinData, &conf); err != nil {
		return nil, err
	}
	// The places that say usePodCidr: the ipam block itself, and ranges.
	ipamConf, _ := conf["ipam"].(map[string]any)
	var targets []map[string]any
	if ipamConf != nil {
		targets = append(targets, ipamConf)
		ranges, _ := ipamConf["ranges"].([]any)
		for _, set := range ranges {
			rs, _ := set.([]any)
			for _, r := range rs {
				if m, ok := r.(map[string]any); ok {
					targets = append(targets, m)
				}
			}
		}
	}
	targets = slices.DeleteFunc(targets, func(m map[string]any) bool { return m["subnet"] != usePodCidr })
	if len(targets) == 0 {
		return c.args.StdinData, nil
	}
	cidr := netip.MustParsePrefix("0.0.0.0/0")
	if !forDel {
		if !usesKubeAPI(c.nc) {
			return nil, &ConfigError{Key: "ipam.subnet", Value: usePodCidr, Reason: "needs the Kubernetes API (kubernetes.kubeconfig) to read the node's pod CIDR"}
		}
		node := cmp.Or(c.nc.Kubernetes.NodeName, c.node)
		var err error
		if cidr, err = nodePodCIDR(c.ctx, c.nc, node); err != nil {
			return nil, err
		}
	}
	for _, r := range targets {
		r["subnet"] = cidr.String()
		if !forDel {
			r["rangeStart"], r["rangeEnd"] = cidr.Addr().Next().Next().Next().String(), lastAddr(cidr).Prev().String()
		}
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return nil, fmt.Errorf("rewriting the host-local config: %w", err)
	}
	return b, nil
}

// lastAddr is the broadcast address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
