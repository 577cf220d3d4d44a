package hns

import "context"

// Client is everything the plugin asks of HNS. Lookups by name or ID are
// filtered queries (HcnEnumerate* with a filter), never a list of every
// endpoint on the node. Every method returns errors classified by this
// package (see IsNotFound and friends), whichever implementation is behind it.
type Client interface {
	// Version returns the HNS version; Features derives capabilities from it.
	Version(ctx context.Context) (Version, error)

	GetNetworkByName(ctx context.Context, name string) (*Network, error)
	GetNetworkByID(ctx context.Context, id string) (*Network, error)
	CreateNetwork(ctx context.Context, n *Network) (*Network, error)
	DeleteNetwork(ctx context.Context, id string) error
	// AddNetworkPolicy adds policies to a network (RequestType Add, ResourceType Policy).
	AddNetworkPolicy(ctx context.Context, networkID string, p []Policy) error

	// CreateEndpoint creates e (e.HostComputeNetwork must be set, e.HostComputeNamespace must not).
	CreateEndpoint(ctx context.Context, e *Endpoint) (*Endpoint, error)
	DeleteEndpoint(ctx context.Context, id string) error
	GetEndpointByID(ctx context.Context, id string) (*Endpoint, error)
	// GetEndpointByName returns the first endpoint with that name (HNS does not
	// enforce unique names).
	GetEndpointByName(ctx context.Context, name string) (*Endpoint, error)
	// ListEndpointsOfNetwork returns the endpoints (local and remote) of a network.
	ListEndpointsOfNetwork(ctx context.Context, networkID string) ([]Endpoint, error)

	GetNamespaceByID(ctx context.Context, id string) (*Namespace, error)
	CreateNamespace(ctx context.Context, ns *Namespace) (*Namespace, error)
	DeleteNamespace(ctx context.Context, id string) error
	AttachEndpoint(ctx context.Context, namespaceID, endpointID string) error
	// HostNamespace returns the host's default namespace (Type HostDefault,
	// the default compartment), creating it if HNS lists none. Attaching an
	// endpoint to it gives the host a vNIC on the endpoint's network: HNS
	// v2's form of v1's HostAttach to compartment 1, which L2Bridge mode
	// needs for its host endpoint.
	HostNamespace(ctx context.Context) (*Namespace, error)
	DetachEndpoint(ctx context.Context, namespaceID, endpointID string) error
}
