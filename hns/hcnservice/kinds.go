package hcnservice

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/calico-win/cni/hns"
)

// kind is one HCN object type and the backend calls behind its functions.
type kind struct {
	name string
	// notFound is the code HNS returns when an object of this kind does not
	// exist (opening it, or querying a handle whose object is gone).
	notFound uint32
	// filters maps the query filter keys hcn sends to a backend lookup
	// returning the matching IDs.
	filters map[string]func(ctx context.Context, b Backend, v string) ([]string, error)
	// list returns every object of the kind, keyed by ID as HNS prints it.
	list   func(ctx context.Context, b Backend) (map[string]any, []string, error)
	create func(ctx context.Context, b Backend, parent string, settings []byte) (string, error)
	delete func(ctx context.Context, b Backend, id string) error
	modify func(ctx context.Context, b Backend, id string, settings []byte) *Response
}

var kinds = map[string]*kind{"Network": &networkKind, "Endpoint": &endpointKind, "Namespace": &namespaceKind}

// parseOp splits an export name such as HcnQueryEndpointProperties into its
// verb (Query) and kind.
func parseOp(op string) (verb string, k *kind, ok bool) {
	rest, ok := strings.CutPrefix(op, "Hcn")
	if !ok {
		return "", nil, false
	}
	for _, v := range []string{"Enumerate", "Open", "Create", "Modify", "Query", "Delete", "Close"} {
		if name, found := strings.CutPrefix(rest, v); found {
			switch v {
			case "Enumerate":
				name, found = strings.CutSuffix(name, "s")
			case "Query":
				name, found = strings.CutSuffix(name, "Properties")
			}
			if k := kinds[name]; found && k != nil {
				return v, k, true
			}
			return "", nil, false
		}
	}
	return "", nil, false
}

func one(id string, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return []string{id}, nil
}

func listOf[T any](objs []T, err error, id func(*T) string) (map[string]any, []string, error) {
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]any, len(objs))
	ids := make([]string, 0, len(objs))
	for i := range objs {
		m[strings.ToUpper(id(&objs[i]))] = &objs[i]
		ids = append(ids, id(&objs[i]))
	}
	return m, ids, nil
}

var networkKind = kind{
	name:     "Network",
	notFound: hns.NetworkNotFound,
	filters: map[string]func(context.Context, Backend, string) ([]string, error){
		"Name": func(ctx context.Context, b Backend, v string) ([]string, error) {
			n, err := b.GetNetworkByName(ctx, v)
			if err != nil {
				return nil, err
			}
			return one(n.Id, nil)
		},
		"ID": func(ctx context.Context, b Backend, v string) ([]string, error) {
			n, err := b.GetNetworkByID(ctx, v)
			if err != nil {
				return nil, err
			}
			return one(n.Id, nil)
		},
	},
	list: func(ctx context.Context, b Backend) (map[string]any, []string, error) {
		ns, err := b.ListNetworks(ctx)
		return listOf(ns, err, func(n *hns.Network) string { return n.Id })
	},
	create: func(ctx context.Context, b Backend, _ string, settings []byte) (string, error) {
		var n hns.Network
		if err := json.Unmarshal(settings, &n); err != nil {
			return "", hns.NewError("hcnCreateNetwork", hns.InvalidJSON)
		}
		created, err := b.CreateNetwork(ctx, &n)
		if err != nil {
			return "", err
		}
		return created.Id, nil
	},
	delete: func(ctx context.Context, b Backend, id string) error { return b.DeleteNetwork(ctx, id) },
	modify: func(ctx context.Context, b Backend, id string, settings []byte) *Response {
		var req struct {
			ResourceType, RequestType string
			Settings                  struct{ Policies []hns.Policy }
		}
		if err := json.Unmarshal(settings, &req); err != nil {
			return fail(hresult(hns.InvalidJSON), hns.CodeText(hns.InvalidJSON))
		}
		if req.ResourceType != "Policy" || req.RequestType != "Add" {
			return fail(eNotImpl, "hcn service: network modify "+req.ResourceType+"/"+req.RequestType+" is not simulated")
		}
		if err := b.AddNetworkPolicy(ctx, id, req.Settings.Policies); err != nil {
			return failErr(err, hns.NetworkNotFound)
		}
		return &Response{}
	},
}

var endpointKind = kind{
	name:     "Endpoint",
	notFound: hns.EndpointNotFound,
	filters: map[string]func(context.Context, Backend, string) ([]string, error){
		"Name": func(ctx context.Context, b Backend, v string) ([]string, error) {
			e, err := b.GetEndpointByName(ctx, v)
			if err != nil {
				return nil, err
			}
			return one(e.Id, nil)
		},
		"ID": func(ctx context.Context, b Backend, v string) ([]string, error) {
			e, err := b.GetEndpointByID(ctx, v)
			if err != nil {
				return nil, err
			}
			return one(e.Id, nil)
		},
		"VirtualNetwork": func(ctx context.Context, b Backend, v string) ([]string, error) {
			es, err := b.ListEndpointsOfNetwork(ctx, v)
			ids := make([]string, 0, len(es))
			for _, e := range es {
				ids = append(ids, e.Id)
			}
			return ids, err
		},
	},
	list: func(ctx context.Context, b Backend) (map[string]any, []string, error) {
		es, err := b.ListEndpoints(ctx)
		return listOf(es, err, func(e *hns.Endpoint) string { return e.Id })
	},
	create: func(ctx context.Context, b Backend, network string, settings []byte) (string, error) {
		var e hns.Endpoint
		if err := json.Unmarshal(settings, &e); err != nil {
			return "", hns.NewError("hcnCreateEndpoint", hns.InvalidJSON)
		}
		// HNS creates the endpoint on the network whose handle it was given.
		e.HostComputeNetwork = network
		created, err := b.CreateEndpoint(ctx, &e)
		if err != nil {
			return "", err
		}
		return created.Id, nil
	},
	delete: func(ctx context.Context, b Backend, id string) error { return b.DeleteEndpoint(ctx, id) },
	// The plugin sets every endpoint policy at creation and never modifies
	// one, so the simulator does not model endpoint modification.
	modify: func(context.Context, Backend, string, []byte) *Response {
		return fail(eNotImpl, "hcn service: endpoint modify is not simulated")
	},
}

var namespaceKind = kind{
	name:     "Namespace",
	notFound: hns.ErrorNotFound,
	filters: map[string]func(context.Context, Backend, string) ([]string, error){
		"ID": func(ctx context.Context, b Backend, v string) ([]string, error) {
			ns, err := b.GetNamespaceByID(ctx, v)
			if err != nil {
				return nil, err
			}
			return one(ns.Id, nil)
		},
	},
	list: func(ctx context.Context, b Backend) (map[string]any, []string, error) {
		ns, err := b.ListNamespaces(ctx)
		return listOf(ns, err, func(n *hns.Namespace) string { return n.Id })
	},
	create: func(ctx context.Context, b Backend, _ string, settings []byte) (string, error) {
		var ns hns.Namespace
		if err := json.Unmarshal(settings, &ns); err != nil {
			return "", hns.NewError("hcnCreateNamespace", hns.InvalidJSON)
		}
		created, err := b.CreateNamespace(ctx, &ns)
		if err != nil {
			return "", err
		}
		return created.Id, nil
	},
	delete: func(ctx context.Context, b Backend, id string) error { return b.DeleteNamespace(ctx, id) },
	modify: func(ctx context.Context, b Backend, id string, settings []byte) *Response {
		var req struct {
			ResourceType, RequestType string
			// hcn's AddNamespaceEndpoint sends {"EndpointId":"<guid>"}.
			Settings struct{ EndpointId string }
		}
		if err := json.Unmarshal(settings, &req); err != nil {
			return fail(hresult(hns.InvalidJSON), hns.CodeText(hns.InvalidJSON))
		}
		if req.ResourceType != "Endpoint" {
			return fail(eNotImpl, "hcn service: namespace modify of "+req.ResourceType+" is not simulated")
		}
		var err error
		switch req.RequestType {
		case "Add":
			err = b.AttachEndpoint(ctx, id, req.Settings.EndpointId)
		case "Remove":
			err = b.DetachEndpoint(ctx, id, req.Settings.EndpointId)
		default:
			return fail(eNotImpl, "hcn service: namespace modify "+req.RequestType+" is not simulated")
		}
		if err != nil {
			return failErr(err, hns.ErrorNotFound)
		}
		return &Response{}
	},
}
