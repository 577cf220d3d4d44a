package datastore

import (
	"context"
	"errors"
	"net/netip"
)

// Errors every backend returns (wrapped), so callers classify with errors.Is.
var (
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("resource does not exist")
	// ErrExists: a create found the object already there.
	ErrExists = errors.New("resource already exists")
	// ErrConflict: a compare-and-swap lost (the object changed since it was read).
	ErrConflict = errors.New("update conflict: resource was modified")
	// ErrUnavailable: the datastore could not be reached in time (CNI code 11).
	ErrUnavailable = errors.New("datastore unavailable")
	// ErrUnauthorized: the datastore refused our credentials or permissions.
	ErrUnauthorized = errors.New("datastore refused access")
)

// Query names what one Read fetches. A backend serves it in as few round
// trips as it can: one etcd transaction, or parallel Kubernetes GETs.
type Query struct {
	Config       bool   // the IPAMConfig
	Pools        bool   // every IPPool
	ClusterInfo  bool   // ClusterInformation "default"
	Reservations bool   // every IPReservation's reserved CIDRs
	Node         string // the Calico Node of this name ("" = none)
	Affinities   string // the block affinities of this host ("" = none)
	// AffinityCIDRs, when set, narrows Affinities to these blocks'
	// affinities (point reads): the hinted assignment reads its block's
	// affinity with the block, not every affinity of the host.
	AffinityCIDRs []netip.Prefix
	Handles       []string       // these IPAM handles
	Blocks        []netip.Prefix // these blocks
	// AllBlocks adds every IPv4 block of the cluster to Blocks: only for the
	// rare claim that finds no unclaimed block and looks for an empty one to
	// reclaim, as Calico's findUsableBlock lists them.
	AllBlocks bool
	Endpoints []WEPKey // these workload endpoints
}

// Snapshot is the answer to a Query. Absent objects are absent from the maps
// (or nil); everything was read at one revision when the backend can.
type Snapshot struct {
	Config      *IPAMConfig // nil: no config object (use DefaultIPAMConfig)
	Pools       []IPPool
	ClusterInfo *ClusterInformation // nil: no ClusterInformation "default"
	// Reservations are the addresses IPReservations keep out of IPAM.
	Reservations []netip.Prefix
	Node         *Node // nil: no such node
	Affinities   []Versioned[Affinity]
	Handles      map[string]Versioned[Handle]
	Blocks       map[netip.Prefix]Versioned[Block]
	Endpoints    map[WEPKey]Versioned[WorkloadEndpoint]
}

// Op is the kind of one write in a Change.
type Op int

const (
	Create Op = iota // must not exist
	Update           // compare-and-swap on Rev
	Delete           // compare-and-delete on Rev
)

// Write is one object write in a Change.
type Write[T any] struct {
	Op    Op
	Value T
	Rev   string // for Update and Delete
}

// Change is everything one IPAM operation writes. etcd applies it as one
// transaction (all or nothing). The Kubernetes backend, which has no
// transactions, applies it in Calico's crash-safe order: new affinities as
// pending, handles, blocks, then affinities confirmed; deletions last.
// A lost compare-and-swap anywhere returns ErrConflict (or ErrExists) and,
// on etcd, nothing is written.
type Change struct {
	Affinities []Write[Affinity]
	Handles    []Write[Handle]
	Blocks     []Write[Block]
	// Written, when the caller sets it, receives after a successful Commit
	// the blocks it created or updated as the datastore now holds them, at
	// their new revision, so that the caller can keep a copy instead of
	// reading them again. A backend that cannot tell leaves a block out.
	Written map[netip.Prefix]Versioned[Block]
}

// IPAMStore is what the IPAM algorithm needs of a datastore.
type IPAMStore interface {
	Read(ctx context.Context, q Query) (*Snapshot, error)
	// BlocksExist reports, for each CIDR, whether a block object exists,
	// without reading the blocks: how a host finds a free block without
	// listing every block in the cluster.
	BlocksExist(ctx context.Context, cidrs []netip.Prefix) ([]bool, error)
	Commit(ctx context.Context, c Change) error
	// ListHandleIDs returns the IDs of all handles that start with prefix.
	ListHandleIDs(ctx context.Context, prefix string) ([]string, error)
}

// WEPKey names a workload endpoint.
type WEPKey struct {
	Namespace string
	Name      string
}

// EndpointStore is what the plugin needs to record workload endpoints. On
// etcd this is the WorkloadEndpoint resource; on Kubernetes it is the pod's
// cni.projectcalico.org annotations.
type EndpointStore interface {
	GetWorkloadEndpoint(ctx context.Context, k WEPKey) (*Versioned[WorkloadEndpoint], error)
	// PutWorkloadEndpoint creates the endpoint when Rev is empty, otherwise
	// replaces it if it is still at Rev.
	PutWorkloadEndpoint(ctx context.Context, w Versioned[WorkloadEndpoint]) (string, error)
	// DeleteWorkloadEndpoint deletes it if it is still at rev.
	DeleteWorkloadEndpoint(ctx context.Context, k WEPKey, rev string) error
	// EnsureProfile creates p (Calico's DefaultProfile for a network with no
	// policy type) unless a profile of that name exists. Backends whose
	// profiles are derived (Kubernetes: from namespaces and service
	// accounts) do nothing.
	EnsureProfile(ctx context.Context, p Profile) error
}

// Store is a whole datastore backend.
type Store interface {
	IPAMStore
	EndpointStore
	NodeStore
	Close() error
}
