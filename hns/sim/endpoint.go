package sim

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/hns"
)

// EndpointState is the HNS v1 endpoint state (hcsshim.HNSEndpoint.State),
// which Felix filters on; the v2 schema does not carry it.
type EndpointState int

// The v1 states. Assumption: attach gives AttachedSharing, as in the pod
// endpoint dump of calico#8397, and detach gives Detached.
const (
	StateUninitialized EndpointState = iota
	StateCreated
	StateAttached
	StateAttachedSharing
	StateDetached
	StateDegraded
	StateDestroyed
)

var stateNames = []string{"Uninitialized", "Created", "Attached", "AttachedSharing", "Detached", "Degraded", "Destroyed"}

func (st EndpointState) String() string {
	if int(st) < len(stateNames) {
		return stateNames[st]
	}
	return "Unknown"
}

// endpointRecord is endpoints/<ID>.json.
type endpointRecord struct {
	Endpoint hns.Endpoint
	State    EndpointState
	Seq      uint64
	Ports    []string `json:",omitempty"` // keys held under ports/
	// Forwarding is IPv4 forwarding on the host vNIC the endpoint has
	// while attached to the host's default namespace (see host.go).
	Forwarding bool `json:",omitempty"`
}

func (s *Sim) readEndpoint(id string) (*endpointRecord, error) {
	var r endpointRecord
	if err := s.st.readJSON(s.st.path(endpointsDir, id+".json"), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *Sim) writeEndpoint(r *endpointRecord) error {
	return s.st.putJSON(s.st.path(endpointsDir, r.Endpoint.Id+".json"), r)
}

func (r *endpointRecord) view() *hns.Endpoint {
	e := r.Endpoint
	return &e
}

func (r *endpointRecord) addrs() []netip.Addr {
	var out []netip.Addr
	for _, c := range r.Endpoint.IpConfigurations {
		if a, err := netip.ParseAddr(c.IpAddress); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// CreateEndpoint implements hns.Client; see assignAddresses for the address
// rules and validatePolicies for the policy rules. Endpoint names need not
// be unique. Without a MacAddress the endpoint gets one from the network's
// MAC pool.
func (s *Sim) CreateEndpoint(ctx context.Context, e *hns.Endpoint) (*hns.Endpoint, error) {
	if e == nil {
		return nil, errors.New("endpoint create error, nil endpoint")
	}
	if e.HostComputeNamespace != "" {
		return nil, errors.New("endpoint create error, endpoint json HostComputeNamespace is read only and should not be set")
	}
	netID, ok := canonicalID(e.HostComputeNetwork)
	if !ok {
		return nil, errInvalidNetworkID
	}
	const op = "hcnCreateEndpoint"
	if err := s.begin(ctx, KindCreateEndpoint, op); err != nil {
		return nil, err
	}
	policies, code := validatePolicies(e.Policies, endpointPolicies)
	var out *hns.Endpoint
	err := s.locked(true, func() error {
		nr, err := s.readNetwork(netID)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError("hcnOpenNetwork", hns.NetworkNotFound)
		}
		if err != nil {
			return err
		}
		if code == 0 {
			code = checkEndpointType(&nr.Network, policies)
		}
		if code != 0 {
			return hns.NewError(op, code)
		}
		rec := &endpointRecord{Endpoint: *e, State: StateCreated}
		ep := &rec.Endpoint
		ep.HostComputeNetwork, ep.Policies, ep.SchemaVersion = netID, policies, hns.V2
		addrs, code, err := s.assignAddresses(&nr.Network, ep)
		if err != nil {
			return err
		}
		if code != 0 {
			return hns.NewError(op, code)
		}
		if rec.Ports, code, err = s.claimablePorts(policies, ""); err != nil || code != 0 {
			return errors.Join(err, codeError(op, code))
		}
		if rec.Seq, err = s.st.nextSeq(); err != nil {
			return err
		}
		ep.Id = newGUID()
		if ep.MacAddress == "" {
			ep.MacAddress = poolMAC(&nr.Network, rec.Seq)
		}
		if err := s.insertEndpoint(rec, addrs); err != nil {
			return err
		}
		out = rec.view()
		return nil
	})
	return out, err
}

// insertEndpoint writes a new endpoint and its index entries.
func (s *Sim) insertEndpoint(rec *endpointRecord, addrs []netip.Addr) error {
	id, netID := rec.Endpoint.Id, rec.Endpoint.HostComputeNetwork
	if err := s.writeEndpoint(rec); err != nil {
		return err
	}
	for _, a := range addrs {
		if err := s.st.holdIP(netID, a, id); err != nil {
			return err
		}
	}
	for _, k := range rec.Ports {
		if err := s.st.holdPort(k, id); err != nil {
			return err
		}
	}
	if err := s.st.addMember(netID, id); err != nil {
		return err
	}
	return s.st.addName(endpointNames, rec.Endpoint.Name, id)
}

// codeError is hns.NewError, or nil for code 0.
func codeError(op string, code uint32) error {
	if code == 0 {
		return nil
	}
	return hns.NewError(op, code)
}

// DeleteEndpoint implements hns.Client. Deleting an endpoint that is still
// attached is accepted and removes it from its namespace.
func (s *Sim) DeleteEndpoint(ctx context.Context, id string) error {
	const op = "hcnDeleteEndpoint"
	cid, ok := canonicalID(id)
	if !ok {
		return errInvalidEndpointID
	}
	if err := s.begin(ctx, KindDeleteEndpoint, op); err != nil {
		return err
	}
	return s.locked(true, func() error {
		err := s.deleteEndpointLocked(cid)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError(op, hns.EndpointNotFound)
		}
		return err
	})
}

// deleteEndpointLocked removes endpoint id and its index entries; the
// caller holds the exclusive lock. A missing endpoint is fs.ErrNotExist.
func (s *Sim) deleteEndpointLocked(id string) error {
	r, err := s.readEndpoint(id)
	if err != nil {
		return err
	}
	ep := &r.Endpoint
	if ep.HostComputeNamespace != "" {
		if err := s.dropNamespaceResource(ep.HostComputeNamespace, id); err != nil {
			return err
		}
	}
	for _, a := range r.addrs() {
		if holder, err := s.st.ipHolder(ep.HostComputeNetwork, a); err == nil && holder == id {
			if err := s.st.releaseIP(ep.HostComputeNetwork, a); err != nil {
				return err
			}
		}
	}
	if err := s.releasePorts(r.Ports, id); err != nil {
		return err
	}
	if err := s.st.removeMember(ep.HostComputeNetwork, id); err != nil {
		return err
	}
	if err := s.st.removeName(endpointNames, ep.Name, id); err != nil {
		return err
	}
	return s.st.drop(s.st.path(endpointsDir, id+".json"))
}

// GetEndpointByID implements hns.Client.
func (s *Sim) GetEndpointByID(ctx context.Context, id string) (*hns.Endpoint, error) {
	if err := s.begin(ctx, KindGetEndpointByID, "hcnEnumerateEndpoints"); err != nil {
		return nil, err
	}
	cid, ok := canonicalID(id)
	if !ok {
		return nil, &hns.NotFoundError{Kind: "Endpoint", ID: id}
	}
	r, err := readLocked(s, func() (*endpointRecord, error) { return s.readEndpoint(cid) })
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &hns.NotFoundError{Kind: "Endpoint", ID: id}
	}
	if err != nil {
		return nil, err
	}
	return r.view(), nil
}

// GetEndpointByName implements hns.Client: the oldest endpoint of that name.
func (s *Sim) GetEndpointByName(ctx context.Context, name string) (*hns.Endpoint, error) {
	if err := s.begin(ctx, KindGetEndpointByName, "hcnEnumerateEndpoints"); err != nil {
		return nil, err
	}
	var e *hns.Endpoint
	err := s.locked(false, func() error {
		ids, err := s.st.idsByName(endpointNames, name)
		if err != nil || len(ids) == 0 {
			return err
		}
		r, err := s.readEndpoint(ids[0])
		if err != nil {
			return err
		}
		e = r.view()
		return nil
	})
	if err == nil && e == nil {
		err = &hns.NotFoundError{Kind: "Endpoint", Name: name}
	}
	return e, err
}

// ListEndpointsOfNetwork implements hns.Client: local and remote endpoints
// in creation order; an unknown network has none.
func (s *Sim) ListEndpointsOfNetwork(ctx context.Context, networkID string) ([]hns.Endpoint, error) {
	if err := s.begin(ctx, KindListEndpointsOfNetwork, "hcnEnumerateEndpoints"); err != nil {
		return nil, err
	}
	cid, ok := canonicalID(networkID)
	if !ok {
		return nil, nil
	}
	var recs []*endpointRecord
	err := s.locked(false, func() error {
		ids, err := s.st.members(cid)
		if err != nil {
			return err
		}
		recs, err = s.readEndpoints(ids)
		return err
	})
	return endpointViews(recs), err
}

// readEndpoints reads the given endpoints in creation order.
func (s *Sim) readEndpoints(ids []string) ([]*endpointRecord, error) {
	recs := make([]*endpointRecord, 0, len(ids))
	for _, id := range ids {
		r, err := s.readEndpoint(id)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b *endpointRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	return recs, nil
}

func endpointViews(recs []*endpointRecord) []hns.Endpoint {
	out := make([]hns.Endpoint, 0, len(recs))
	for _, r := range recs {
		out = append(out, *r.view())
	}
	return out
}
