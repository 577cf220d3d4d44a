package plugin

import (
	"github.com/calico-win/cni/dataplane"
	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hostnet"
)

// newDataplane returns the dataplane configured from the netconf.
func newDataplane(nc *NetConf, c hns.Client) *dataplane.Dataplane {
	return dataplane.New(c, dataplane.Options{
		Name:               nc.Name,
		SingleNetwork:      nc.WindowsUseSingleNetwork,
		Mode:               dataplaneMode(nc),
		Host:               hostOf(c),
		LockPath:           stateFile(nc, "hns-network.lock"),
		Policies:           nc.EndpointPolicies(),
		LoopbackDSR:        nc.WindowsLoopbackDSR,
		DisableDefaultDeny: nc.WindowsDisableDefaultDenyAllPolicy,
		DNS:                endpointDNS(nc),
	})
}

// dataplaneMode is the netconf's networking mode (validated by ParseNetConf).
func dataplaneMode(nc *NetConf) dataplane.Mode {
	if nc.Mode != ModeVXLAN {
		return dataplane.L2Bridge()
	}
	// VXLANVNI is validated to 24 bits.
	return dataplane.Overlay(uint32(nc.VXLANVNI), nc.VXLANMacPrefix)
}

// hostOf is the host whose interfaces forward the pods' traffic: the
// simulated host when HNS is the simulator, else the node's IP stack.
func hostOf(c hns.Client) hostnet.Forwarder {
	if f, ok := c.(hostnet.Forwarder); ok {
		return f
	}
	return hostnet.Native()
}

// dataplanePools is what the dataplane needs of the pools.
func dataplanePools(pools []datastore.IPPool) []dataplane.Pool {
	out := make([]dataplane.Pool, len(pools))
	for i, p := range pools {
		out[i] = dataplane.Pool{CIDR: p.CIDR, NATOutgoing: p.NATOutgoing}
	}
	return out
}

// endpointDNS picks the runtime's DNS when it has servers, else the conf's.
func endpointDNS(nc *NetConf) hns.Dns {
	if rt := nc.RuntimeConfig.DNS; len(rt.Servers) > 0 {
		return hns.Dns{Domain: rt.Domain, Search: rt.Searches, ServerList: rt.Servers, Options: rt.Options}
	}
	return hns.Dns{Domain: nc.DNS.Domain, Search: nc.DNS.Search, ServerList: nc.DNS.Nameservers, Options: nc.DNS.Options}
}
