// Package sim is a simulated Windows Host Networking Service: an hns.Client
// whose state lives in a directory, so that every process that opens the
// same directory (the CNI plugin, hnsctl, a test) sees one HNS.
//
// It owns the on-disk layout of that state, HNS's validation rules and error
// codes as far as the plugin can observe them (see
// shared/reference/windows-hns-and-cni.md §1 and §5), and the fault
// injection that tests use to make HNS misbehave. It must not import the
// plugin, ipam or datastore packages: it is HNS, and knows nothing of Calico.
//
// Layout (one JSON file per object, plus small indexes so that a lookup
// reads O(1) files whatever the number of endpoints):
//
//	lock                      locked (internal/flock): exclusive for mutations, shared for reads
//	journal.json              the writes of a committed operation not yet fully applied
//	config.json               persisted settings (Config)
//	faults.json               armed faults, latencies, stopped service
//	seq                       creation sequence counter, rewritten in place
//	host.json                 the simulated host beside HNS: its default
//	                          namespace's ID, forwarding on the adapter (host.go)
//	networks/<ID>.json        networkRecord
//	endpoints/<ID>.json       endpointRecord
//	namespaces/<ID>.json      namespaceRecord
//	names/<kind>/<hash>.json  IDs bearing one name, in creation order
//	members/<netID>/<epID>    the endpoints of a network
//	ips/<netID>/<ip>          the endpoint holding an address on a network
//	ports/<key>               the endpoint holding a PortMapping
//	.pool/, .pending/         inodes kept for reuse (see recycle.go)
//
// Every file is replaced by writing a spare file and renaming it over the
// old one, so a reader never sees a partial object. Each operation's writes
// are one commit (journal.go): a process killed mid-call leaves either none
// of them or a journal that the next call applies, never an endpoint
// without its index entries, so an address is never held twice (HNS
// refuses a second holder with 0x803b002f, see assignAddresses).
//
// Modelling choices where HNS's behaviour is not documented are listed in
// the comments of the functions that make them (search for "Assumption").
package sim
