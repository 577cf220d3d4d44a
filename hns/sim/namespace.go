package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strings"

	"github.com/calico-win/cni/hns"
)

// namespaceRecord is namespaces/<ID>.json.
type namespaceRecord struct {
	Namespace hns.Namespace
	Seq       uint64
}

var namespaceTypes = []string{"Host", "HostDefault", "Guest", "GuestDefault"}

// resourceData is the Data of a namespace resource.
type resourceData struct {
	ID string `json:"ID"`
}

func (s *Sim) readNamespace(id string) (*namespaceRecord, error) {
	var r namespaceRecord
	if err := s.st.readJSON(s.st.path(namespacesDir, id+".json"), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *Sim) writeNamespace(r *namespaceRecord) error {
	return s.st.putJSON(s.st.path(namespacesDir, r.Namespace.Id+".json"), r)
}

// CreateNamespace implements hns.Client. Like containerd's empty template,
// a namespace reads back with NamespaceId 0 and the schema version it was
// sent with; no container ever joins a simulated namespace. Assumption: an
// empty Type means Host.
func (s *Sim) CreateNamespace(ctx context.Context, ns *hns.Namespace) (*hns.Namespace, error) {
	const op = "hcnCreateNamespace"
	if ns == nil {
		ns = &hns.Namespace{}
	}
	if err := s.begin(ctx, KindCreateNamespace, op); err != nil {
		return nil, err
	}
	rec := &namespaceRecord{Namespace: hns.Namespace{
		Type:          "Host",
		NamespaceId:   ns.NamespaceId,
		SchemaVersion: ns.SchemaVersion,
	}}
	if ns.Type != "" {
		i := slices.IndexFunc(namespaceTypes, func(t string) bool { return strings.EqualFold(t, ns.Type) })
		if i < 0 {
			return nil, hns.NewError(op, hns.ErrorInvalidParameter)
		}
		rec.Namespace.Type = namespaceTypes[i]
	}
	err := s.locked(true, func() error {
		var err error
		if rec.Seq, err = s.st.nextSeq(); err != nil {
			return err
		}
		rec.Namespace.Id = newGUID()
		return s.writeNamespace(rec)
	})
	if err != nil {
		return nil, err
	}
	out := rec.Namespace
	return &out, nil
}

// GetNamespaceByID implements hns.Client.
func (s *Sim) GetNamespaceByID(ctx context.Context, id string) (*hns.Namespace, error) {
	if err := s.begin(ctx, KindGetNamespaceByID, "hcnEnumerateNamespaces"); err != nil {
		return nil, err
	}
	cid, ok := canonicalID(id)
	if !ok {
		return nil, &hns.NotFoundError{Kind: "Namespace", ID: id}
	}
	r, err := readLocked(s, func() (*namespaceRecord, error) { return s.readNamespace(cid) })
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &hns.NotFoundError{Kind: "Namespace", ID: id}
	}
	if err != nil {
		return nil, err
	}
	return &r.Namespace, nil
}

// DeleteNamespace implements hns.Client. Assumption: endpoints still in the
// namespace stay, detached (containerd may remove the namespace before
// CNI DEL runs).
func (s *Sim) DeleteNamespace(ctx context.Context, id string) error {
	const op = "hcnDeleteNamespace"
	cid, ok := canonicalID(id)
	if !ok {
		return errInvalidNamespaceID
	}
	if err := s.begin(ctx, KindDeleteNamespace, op); err != nil {
		return err
	}
	return s.locked(true, func() error {
		r, err := s.readNamespace(cid)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError(op, hns.ErrorNotFound)
		}
		if err != nil {
			return err
		}
		for _, res := range r.Namespace.Resources {
			epID, ok := endpointResource(res)
			if !ok {
				continue
			}
			ep, err := s.readEndpoint(epID)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			ep.Endpoint.HostComputeNamespace, ep.State = "", StateDetached
			if err := s.writeEndpoint(ep); err != nil {
				return err
			}
		}
		return s.st.drop(s.st.path(namespacesDir, cid+".json"))
	})
}

// AttachEndpoint implements hns.Client (hcn.AddNamespaceEndpoint): an
// endpoint is in at most one namespace.
func (s *Sim) AttachEndpoint(ctx context.Context, namespaceID, endpointID string) error {
	return s.modifyNamespace(ctx, KindAttachEndpoint, namespaceID, endpointID,
		func(ns *namespaceRecord, ep *endpointRecord) error {
			if code := attachRefusal(ns, ep); code != 0 {
				return hns.NewError("hcnModifyNamespace", code)
			}
			ep.Endpoint.HostComputeNamespace, ep.State, ep.Forwarding = ns.Namespace.Id, StateAttachedSharing, false
			data, err := json.Marshal(resourceData{ID: ep.Endpoint.Id})
			ns.Namespace.Resources = append(ns.Namespace.Resources, hns.NamespaceResource{Type: "Endpoint", Data: data})
			return err
		})
}

// DetachEndpoint implements hns.Client (hcn.RemoveNamespaceEndpoint). An
// endpoint that is not in this namespace fails with
// Config.DetachNotAttachedCode.
func (s *Sim) DetachEndpoint(ctx context.Context, namespaceID, endpointID string) error {
	c, err := s.currentConfig()
	if err != nil {
		return err
	}
	return s.modifyNamespace(ctx, KindDetachEndpoint, namespaceID, endpointID,
		func(ns *namespaceRecord, ep *endpointRecord) error {
			if !strings.EqualFold(ep.Endpoint.HostComputeNamespace, ns.Namespace.Id) {
				return hns.NewError("hcnModifyNamespace", c.DetachNotAttachedCode)
			}
			ep.Endpoint.HostComputeNamespace, ep.State, ep.Forwarding = "", StateDetached, false
			ns.Namespace.Resources = withoutEndpoint(ns.Namespace.Resources, ep.Endpoint.Id)
			return nil
		})
}

// modifyNamespace loads a namespace and an endpoint as hcnModifyNamespace
// does (a missing namespace fails to open with 0x490; a missing endpoint is
// 0x803b0002), applies change and stores both.
func (s *Sim) modifyNamespace(ctx context.Context, kind, namespaceID, endpointID string,
	change func(*namespaceRecord, *endpointRecord) error) error {
	const op = "hcnModifyNamespace"
	nsID, ok := canonicalID(namespaceID)
	if !ok {
		return errInvalidNamespaceID
	}
	if err := s.begin(ctx, kind, op); err != nil {
		return err
	}
	return s.locked(true, func() error {
		ns, err := s.readNamespace(nsID)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError("hcnOpenNamespace", hns.ErrorNotFound)
		}
		if err != nil {
			return err
		}
		epID, ok := canonicalID(endpointID)
		if !ok {
			return hns.NewError(op, hns.EndpointNotFound)
		}
		ep, err := s.readEndpoint(epID)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError(op, hns.EndpointNotFound)
		}
		if err != nil {
			return err
		}
		if err := change(ns, ep); err != nil {
			return err
		}
		if err := s.writeEndpoint(ep); err != nil {
			return err
		}
		return s.writeNamespace(ns)
	})
}

// dropNamespaceResource removes endpoint epID from namespace nsID's
// resources; a namespace that is gone is fine.
func (s *Sim) dropNamespaceResource(nsID, epID string) error {
	ns, err := s.readNamespace(nsID)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	ns.Namespace.Resources = withoutEndpoint(ns.Namespace.Resources, epID)
	return s.writeNamespace(ns)
}

func withoutEndpoint(rs []hns.NamespaceResource, epID string) []hns.NamespaceResource {
	return slices.DeleteFunc(slices.Clone(rs), func(r hns.NamespaceResource) bool {
		id, ok := endpointResource(r)
		return ok && strings.EqualFold(id, epID)
	})
}

// endpointResource returns the endpoint ID of an Endpoint resource.
func endpointResource(r hns.NamespaceResource) (string, bool) {
	if !strings.EqualFold(r.Type, "Endpoint") {
		return "", false
	}
	var d resourceData
	if json.Unmarshal(r.Data, &d) != nil {
		return "", false
	}
	id, ok := canonicalID(d.ID)
	return id, ok
}
