package hcnservice

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/calico-win/cni/hns"
)

// enumerate serves HcnEnumerate*: the IDs matching the query's filter, as
// a JSON list. A filter key that names a lookup (Name, ID, VirtualNetwork)
// goes through the backend's lookup; no filter lists every object. Nothing
// matching is an empty list, not an error, as in HNS.
func (s *Server) enumerate(ctx context.Context, k *kind, query string) *Response {
	filter, bad := parseQuery(query)
	if bad != nil {
		return bad
	}
	var ids []string
	var err error
	switch len(filter) {
	case 0:
		_, ids, err = k.list(ctx, s.b)
	case 1:
		for key, v := range filter {
			lookup := k.filters[key]
			if lookup == nil {
				return badArg("hcn service: %s filter %q is not simulated", k.name, key)
			}
			ids, err = lookup(ctx, s.b, v)
		}
	default:
		return badArg("hcn service: %s filter with %d keys is not simulated", k.name, len(filter))
	}
	var nf *hns.NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return failErr(err, k.notFound)
	}
	if ids == nil {
		ids = []string{}
	}
	out, _ := json.Marshal(ids)
	return &Response{Out: string(out)}
}

// parseQuery reads hcn's HostComputeQuery: {"SchemaVersion":..,"Flags":..,
// "Filter":"<JSON object of key: value>"}.
func parseQuery(query string) (map[string]string, *Response) {
	if strings.TrimSpace(query) == "" {
		return nil, nil
	}
	var q struct{ Filter string }
	if err := json.Unmarshal([]byte(query), &q); err != nil {
		return nil, fail(hresult(hns.InvalidJSON), hns.CodeText(hns.InvalidJSON))
	}
	if q.Filter == "" {
		return nil, nil
	}
	var f map[string]string
	if err := json.Unmarshal([]byte(q.Filter), &f); err != nil {
		return nil, fail(hresult(hns.InvalidJSON), hns.CodeText(hns.InvalidJSON))
	}
	return f, nil
}

// get returns the object id of kind k, or nil when there is none.
func (s *Server) get(ctx context.Context, k *kind, id string) (any, error) {
	objs, _, err := k.list(ctx, s.b)
	if err != nil {
		return nil, err
	}
	return objs[strings.ToUpper(strings.Trim(id, "{}"))], nil
}

// open serves HcnOpen*: a handle on an existing object.
func (s *Server) open(ctx context.Context, k *kind, id string, pid uint32) *Response {
	obj, err := s.get(ctx, k, id)
	if err != nil {
		return failErr(err, k.notFound)
	}
	if obj == nil {
		return fail(hresult(k.notFound), hns.CodeText(k.notFound))
	}
	return &Response{Handle: s.newHandle(k.name, strings.ToUpper(id), pid)}
}

// create serves HcnCreate*: the object and a handle on it. An endpoint is
// created on the network of the handle it was given.
func (s *Server) create(ctx context.Context, k *kind, req *Request) *Response {
	var parent string
	if k == &endpointKind {
		h, bad := s.lookupHandle(&networkKind, req.Handle)
		if bad != nil {
			return bad
		}
		parent = h.id
	}
	id, err := k.create(ctx, s.b, parent, []byte(req.Arg))
	if err != nil {
		return failErr(err, k.notFound)
	}
	return &Response{Handle: s.newHandle(k.name, strings.ToUpper(id), req.PID)}
}

func (s *Server) modify(ctx context.Context, k *kind, h uint64, settings string) *Response {
	v, bad := s.lookupHandle(k, h)
	if bad != nil {
		return bad
	}
	return k.modify(ctx, s.b, v.id, []byte(settings))
}

// query serves HcnQuery*Properties: the object in HCN's v2 JSON.
func (s *Server) query(ctx context.Context, k *kind, h uint64) *Response {
	v, bad := s.lookupHandle(k, h)
	if bad != nil {
		return bad
	}
	obj, err := s.get(ctx, k, v.id)
	if err != nil {
		return failErr(err, k.notFound)
	}
	if obj == nil {
		return fail(hresult(k.notFound), hns.CodeText(k.notFound))
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return fail(eFail, err.Error())
	}
	return &Response{Out: string(out)}
}

func (s *Server) delete(ctx context.Context, k *kind, id string) *Response {
	if err := k.delete(ctx, s.b, id); err != nil {
		return failErr(err, k.notFound)
	}
	return &Response{}
}

// hnsCall serves vmcompute.dll's HNSCall for the one v1 request hcn makes,
// GET /globals/version; the answer is HNS's v1 envelope.
func (s *Server) hnsCall(ctx context.Context, arg string) *Response {
	method, path, _ := strings.Cut(arg, " ")
	if method != "GET" || !strings.EqualFold(path, "/globals/version") {
		out, _ := json.Marshal(map[string]any{"Success": false, "Error": "hcn service: HNSCall " + arg + " is not simulated"})
		return &Response{Out: string(out)}
	}
	v, err := s.b.Version(ctx)
	if err != nil {
		return failErr(err, hns.ErrorNotFound)
	}
	out, _ := json.Marshal(map[string]any{"Success": true, "Output": v})
	return &Response{Out: string(out)}
}
