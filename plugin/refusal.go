package plugin

// configRefusal is the reason ADD refuses this config before doing any
// work, or nil. STATUS asks the same question, so that a node whose config
// can never serve an ADD reports "not available" (50) instead of OK.
func (c *call) configRefusal() error {
	if c.nc.Mode != "vxlan" {
		return &ConfigError{Key: "mode", Value: c.nc.Mode, Reason: `only "vxlan" is supported (an empty mode means L2Bridge/windows-bgp in Calico)`}
	}
	if c.calicoIPAM() && deref(c.nc.IPAM.AssignIPv4) == "false" {
		return &ConfigError{Key: "ipam.assign_ipv4", Value: "false", Reason: "the pod needs an IPv4 address"}
	}
	return nil
}
