package sim

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/calico-win/cni/hns"
)

// assignAddresses checks the addresses requested for a new endpoint on
// network n (or picks a free one if none is given) and returns them, with
// ep.IpConfigurations completed. It returns the HNS code to refuse with:
//
//   - 0x803b001e: not an address, or (local endpoints) outside every subnet;
//   - 0x803b002f: the subnet's network, gateway or broadcast address, an
//     address requested twice, or one held by another endpoint, local or
//     remote (kubernetes#130963).
//
// Remote endpoints stand for pods on other nodes, so their addresses need
// not lie in this node's subnets. Assumption: HNS fills in PrefixLength from
// the subnet when the request leaves it out (v1 dumps always show it).
func (s *Sim) assignAddresses(n *hns.Network, ep *hns.Endpoint) ([]netip.Addr, uint32, error) {
	remote := ep.Flags&hns.EndpointFlagRemote != 0
	if len(ep.IpConfigurations) == 0 {
		a, prefix, err := s.freeAddress(n)
		if err != nil || !a.IsValid() {
			return nil, hns.AddrInvalidOrReserved, err
		}
		ep.IpConfigurations = []hns.IpConfig{{IpAddress: a.String(), PrefixLength: uint8(prefix.Bits())}}
		return []netip.Addr{a}, 0, nil
	}
	configs := append([]hns.IpConfig(nil), ep.IpConfigurations...)
	addrs := make([]netip.Addr, 0, len(configs))
	for i, c := range configs {
		a, err := netip.ParseAddr(c.IpAddress)
		if err != nil {
			return nil, hns.InvalidIP, nil
		}
		a = a.Unmap()
		prefix, gateway, in := subnetOf(n, a)
		switch {
		case !in && !remote:
			return nil, hns.InvalidIP, nil
		case in && reserved(prefix, gateway, a):
			return nil, hns.AddrInvalidOrReserved, nil
		}
		for _, b := range addrs {
			if a == b {
				return nil, hns.AddrInvalidOrReserved, nil
			}
		}
		holder, err := s.st.ipHolder(n.Id, a)
		if err != nil {
			return nil, 0, err
		}
		if holder != "" {
			return nil, hns.AddrInvalidOrReserved, nil
		}
		if in && c.PrefixLength == 0 {
			configs[i].PrefixLength = uint8(prefix.Bits())
		}
		addrs = append(addrs, a)
	}
	ep.IpConfigurations = configs
	return addrs, 0, nil
}

// reserved reports the addresses HNS keeps for itself in a subnet: the
// network address, the gateway and (IPv4) the broadcast address.
func reserved(prefix netip.Prefix, gateway, a netip.Addr) bool {
	if a == prefix.Addr() || a == gateway {
		return true
	}
	return a.Is4() && prefix.Bits() < 31 && a == lastAddr(prefix)
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As16()
	hostBits := 128 - p.Bits()
	if p.Addr().Is4() {
		hostBits = 32 - p.Bits()
	}
	for i := 15; i >= 0 && hostBits > 0; i-- {
		n := min(hostBits, 8)
		b[i] |= byte(1<<n - 1)
		hostBits -= n
	}
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		return a.Unmap()
	}
	return a
}

// freeAddress returns the lowest free, unreserved address of the network's
// first subnet (HNS's own allocation when a request names no address).
func (s *Sim) freeAddress(n *hns.Network) (netip.Addr, netip.Prefix, error) {
	for _, ipam := range n.Ipams {
		for _, sn := range ipam.Subnets {
			p, err := netip.ParsePrefix(sn.IpAddressPrefix)
			if err != nil {
				continue
			}
			p = p.Masked()
			_, gateway, _ := subnetOf(n, p.Addr())
			for a := p.Addr(); p.Contains(a); a = a.Next() {
				if reserved(p, gateway, a) {
					continue
				}
				holder, err := s.st.ipHolder(n.Id, a)
				if err != nil {
					return netip.Addr{}, p, err
				}
				if holder == "" {
					return a, p, nil
				}
			}
		}
	}
	return netip.Addr{}, netip.Prefix{}, nil
}

// macRange parses a MAC pool range into integers.
func macRange(r hns.MacRange) (start, end uint64, err error) {
	if start, err = parseMAC(r.StartMacAddress); err != nil {
		return 0, 0, err
	}
	if end, err = parseMAC(r.EndMacAddress); err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("MAC range %s-%s is empty", r.StartMacAddress, r.EndMacAddress)
	}
	return start, end, nil
}

// parseMAC parses the dash form HNS uses (00-15-5D-01-02-03).
func parseMAC(s string) (uint64, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 6 {
		return 0, fmt.Errorf("bad MAC address %q", s)
	}
	var v uint64
	for _, p := range parts {
		b, err := strconv.ParseUint(p, 16, 8)
		if err != nil || len(p) != 2 {
			return 0, fmt.Errorf("bad MAC address %q", s)
		}
		v = v<<8 | b
	}
	return v, nil
}

func formatMAC(v uint64) string {
	return fmt.Sprintf("%02X-%02X-%02X-%02X-%02X-%02X", byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// poolMAC hands out the MAC for the seq'th object from the network's pool;
// sequence numbers are unique, so MACs are unique until the pool wraps.
func poolMAC(n *hns.Network, seq uint64) string {
	start, end, err := macRange(n.MacPool.Ranges[0])
	if err != nil { // validated at network creation
		start, end, _ = macRange(defaultMacPool.Ranges[0])
	}
	return formatMAC(start + seq%(end-start+1))
}
