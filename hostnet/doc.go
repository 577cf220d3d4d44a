// Package hostnet is the node's IP stack as the dataplane needs it: turning
// IPv4 forwarding on for the interface that holds an address, which
// L2Bridge mode needs on the management interface and on the host
// endpoint's vNIC (Calico runs "Set-NetIPInterface -Forwarding Enabled" in
// PowerShell for this, twice per ADD).
//
// Forwarder is the seam: Native is the Windows IP Helper API
// (GetUnicastIpAddressTable, GetIpInterfaceEntry, SetIpInterfaceEntry); the
// HNS simulator (hns/sim) implements Forwarder for its simulated host. It
// must not import hns, dataplane, plugin, ipam or datastore.
package hostnet
