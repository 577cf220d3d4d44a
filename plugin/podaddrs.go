package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	"github.com/calico-win/cni/dataplane"
	"github.com/calico-win/cni/datastore"
)

// The pod annotations that choose the pod's address (read with policy k8s,
// as Calico reads them).
const (
	annotationIPAddrs       = "cni.projectcalico.org/ipAddrs"
	annotationIPAddrsNoIpam = "cni.projectcalico.org/ipAddrsNoIpam"
	annotationFloatingIPs   = "cni.projectcalico.org/floatingIPs"
)

// podAddrs is what a pod's annotations ask of IPAM: at most one of them set.
type podAddrs struct {
	ip     netip.Addr // ipAddrs: this address, assigned through IPAM
	noIPAM netip.Addr // ipAddrsNoIpam: this address, IPAM bypassed
}

// errSkipIPAM aborts the IPAM assignment of a pod with ipAddrsNoIpam once
// the first read (readiness, pools, the endpoint) is done.
var errSkipIPAM = errors.New("ipAddrsNoIpam: IPAM bypassed")

// annotatedAddrs checks the pod's address annotations in Calico's order and
// with Calico's rules (k8s.go); floatingIPs is refused: Windows has no NAT
// for it.
func (c *call) annotatedAddrs(a map[string]string) (podAddrs, error) {
	bad := func(key, reason string) error {
		return &ConfigError{Key: "pod annotation " + key, Value: a[key], Reason: reason}
	}
	if a[annotationFloatingIPs] != "" {
		return podAddrs{}, bad(annotationFloatingIPs, "floating IPs need NAT in the dataplane, which Calico for Windows does not have")
	}
	ips, noIPAM := a[annotationIPAddrs], a[annotationIPAddrsNoIpam]
	switch {
	case ips == "" && noIPAM == "":
		return podAddrs{}, nil
	case ips != "" && noIPAM != "":
		return podAddrs{}, bad(annotationIPAddrs, "can't have both annotations: 'ipAddrs' and 'ipAddrsNoIpam' in use at the same time")
	case noIPAM != "":
		if !c.calicoIPAM() {
			return podAddrs{}, bad(annotationIPAddrsNoIpam, "ipAddrsNoIpam is not compatible with configured IPAM: "+c.nc.IPAM.Type)
		}
		if !c.nc.FeatureControl.IPAddrsNoIpam {
			return podAddrs{}, bad(annotationIPAddrsNoIpam, "requested feature is not enabled: ip_addrs_no_ipam (feature_control.ip_addrs_no_ipam)")
		}
		addr, err := oneIPv4(a[annotationIPAddrsNoIpam])
		if err != nil {
			return podAddrs{}, bad(annotationIPAddrsNoIpam, err.Error())
		}
		return podAddrs{noIPAM: addr}, nil
	}
	if !c.calicoIPAM() {
		return podAddrs{}, bad(annotationIPAddrs, "ipAddrs is not compatible with configured IPAM: "+c.nc.IPAM.Type)
	}
	addr, err := oneIPv4(ips)
	if err != nil {
		return podAddrs{}, bad(annotationIPAddrs, err.Error())
	}
	return podAddrs{ip: addr}, nil
}

// oneIPv4 parses an address annotation: a JSON list with one IPv4 address
// (Calico allows one IPv4 and one IPv6; this plugin is IPv4 only).
func oneIPv4(v string) (netip.Addr, error) {
	var list []string
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return netip.Addr{}, fmt.Errorf("not a JSON list of IPs: %v", err)
	}
	if len(list) == 0 {
		return netip.Addr{}, errors.New("specified but empty")
	}
	var out netip.Addr
	for _, s := range list {
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil:
			return netip.Addr{}, fmt.Errorf("invalid IP format: %s", s)
		case !a.Unmap().Is4():
			return netip.Addr{}, fmt.Errorf("%s: IPv6 is not supported on Windows", s)
		case out.IsValid():
			return netip.Addr{}, errors.New("cannot have more than one IPv4 address")
		}
		out = a.Unmap()
	}
	return out, nil
}

// noIPAMBlock is the prefix an ipAddrsNoIpam address is given: the block it
// would have in its IP pool. Calico's Windows path gives it /32, which
// becomes the HNS network's subnet and replaces the node's network; the
// block keeps the pod on the node's network, as an IPAM address would be.
func noIPAMBlock(addr netip.Addr, pools []datastore.IPPool) (netip.Prefix, error) {
	for _, p := range pools {
		if p.CIDR.Contains(addr) {
			bits := p.BlockSize
			if bits == 0 {
				bits = 26
			}
			return netip.PrefixFrom(addr, bits).Masked(), nil
		}
	}
	return netip.Prefix{}, &ConfigError{Key: "pod annotation " + annotationIPAddrsNoIpam, Value: addr.String(),
		Reason: "the address is in no IP pool: the pod's HNS network needs the pool's block for its subnet"}
}

// checkNoIPAMNetwork keeps the node's single HNS network: an
// ipAddrsNoIpam address outside its subnet is refused, where creating the
// pod's network for it would replace the network and cut off every pod on
// it. (With per-block networks each block has its own network.)
func (c *call) checkNoIPAMNetwork(dp *dataplane.Dataplane, block netip.Prefix) error {
	if !c.nc.WindowsUseSingleNetwork {
		return nil
	}
	subnets, has, err := dp.NetworkSubnets(c.ctx, block)
	if errors.Is(err, dataplane.ErrNetworkGone) || has {
		return nil
	}
	if err != nil {
		return err
	}
	return &ConfigError{Key: "pod annotation " + annotationIPAddrsNoIpam, Value: block.Addr().String(),
		Reason: fmt.Sprintf("block %s is not the subnet %v of the node's HNS network %s", block, subnets, c.nc.Name)}
}
