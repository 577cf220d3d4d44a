package plugin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// usePodCidr is Calico's placeholder for the node's pod CIDR in a host-local
// IPAM config (matched case-insensitively, as Calico does).
const usePodCidr = "usePodCidr"

// hostLocalStdin returns the config to hand to host-local, rewritten as
// Calico does on Windows for the ipam block itself and every ipam.ranges
// entry: "usePodCidr" replaced with the node's IPv4 pod CIDR from the
// Kubernetes API, and every IPv4 subnet's range kept within .3 and the
// address before broadcast, so host-local leaves the network, the gateway
// (.1), the host endpoint (.2) and broadcast addresses alone. A rangeStart
// or rangeEnd of the user's inside that is kept; one outside the subnet is
// replaced. For DEL the subnet does not matter (host-local releases by
// container ID): usePodCidr becomes a placeholder network, so a DEL never
// needs the API server, and the rest is passed unchanged.
func (c *call) hostLocalStdin(forDel bool) ([]byte, error) {
	var conf map[string]any
	if err := json.Unmarshal(c.args.StdinData, &conf); err != nil {
		return nil, err
	}
	ipamConf, _ := conf["ipam"].(map[string]any)
	if ipamConf == nil {
		return c.args.StdinData, nil
	}
	type target struct {
		key string // for errors: where in the config
		m   map[string]any
	}
	targets := []target{{"ipam", ipamConf}}
	ranges, _ := ipamConf["ranges"].([]any)
	for i, set := range ranges {
		rs, _ := set.([]any)
		for j, r := range rs {
			if m, ok := r.(map[string]any); ok {
				targets = append(targets, target{fmt.Sprintf("ipam.ranges[%d][%d]", i, j), m})
			}
		}
	}
	var podCIDR netip.Prefix
	changed := false
	for _, t := range targets {
		subnet, _ := t.m["subnet"].(string)
		if subnet == "" {
			continue
		}
		if strings.EqualFold(subnet, usePodCidr) {
			if forDel {
				t.m["subnet"], changed = "0.0.0.0/0", true
				continue
			}
			if !podCIDR.IsValid() {
				var err error
				if podCIDR, err = c.podCIDR(t.key); err != nil {
					return nil, err
				}
			}
			subnet = podCIDR.String()
			t.m["subnet"] = subnet
		}
		if forDel {
			continue
		}
		if err := clampRange(t.key, subnet, t.m); err != nil {
			return nil, err
		}
		changed = true
	}
	if !changed {
		return c.args.StdinData, nil
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return nil, fmt.Errorf("rewriting the host-local config: %w", err)
	}
	return b, nil
}

// podCIDR reads the node's IPv4 pod CIDR for usePodCidr at key.
func (c *call) podCIDR(key string) (netip.Prefix, error) {
	if !usesKubeAPI(c.nc) {
		return netip.Prefix{}, &ConfigError{Key: key + ".subnet", Value: usePodCidr, Reason: "needs the Kubernetes API (kubernetes.kubeconfig) to read the node's pod CIDR"}
	}
	return nodePodCIDR(c.ctx, c.nc, cmp.Or(c.nc.Kubernetes.NodeName, c.node))
}

// clampRange sets m's rangeStart and rangeEnd within .3 – broadcast-1 of
// subnet (IPv4; others are left alone), keeping the user's values that lie
// inside that.
func clampRange(key, subnet string, m map[string]any) error {
	p, err := netip.ParsePrefix(subnet)
	if err != nil {
		return &ConfigError{Key: key + ".subnet", Value: subnet, Reason: "not a CIDR"}
	}
	if !p.Addr().Is4() {
		return nil
	}
	p = p.Masked()
	if p.Bits() > 29 {
		return &ConfigError{Key: key + ".subnet", Value: subnet, Reason: "too small for Windows: .0-.2 and broadcast are not for pods, /29 or larger is needed"}
	}
	lo, hi := p.Addr().Next().Next().Next(), lastAddr(p).Prev()
	pick := func(name string, def netip.Addr, better func(a netip.Addr) bool) error {
		s, _ := m[name].(string)
		m[name] = def.String()
		if s == "" {
			return nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return &ConfigError{Key: key + "." + name, Value: s, Reason: "not an IP address"}
		}
		if p.Contains(a) && better(a) {
			m[name] = a.String()
		}
		return nil
	}
	if err := pick("rangeStart", lo, func(a netip.Addr) bool { return a.Compare(lo) > 0 }); err != nil {
		return err
	}
	return pick("rangeEnd", hi, func(a netip.Addr) bool { return a.Compare(hi) < 0 })
}

// lastAddr is the broadcast address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
