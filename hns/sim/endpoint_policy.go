package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/calico-win/cni/hns"
)

// ApplyEndpointPolicy implements hns.Client with the validation of
// CreateEndpoint. Add appends; Update replaces the endpoint's policies of
// each type present in ps (Assumption: how Calico's Update of its
// default-deny ACL behaves); Remove drops the policies equal to those in ps
// (absent ones are ignored); Refresh changes nothing.
func (s *Sim) ApplyEndpointPolicy(ctx context.Context, endpointID, requestType string, ps []hns.Policy) error {
	const op = "hcnModifyEndpoint"
	cid, ok := canonicalID(endpointID)
	if !ok {
		return errInvalidEndpointID
	}
	if err := s.begin(ctx, KindApplyEndpointPolicy, op); err != nil {
		return err
	}
	valid, code := validatePolicies(ps, endpointPolicies)
	return s.locked(true, func() error {
		r, err := s.readEndpoint(cid)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError("hcnOpenEndpoint", hns.EndpointNotFound)
		}
		if err != nil {
			return err
		}
		if code != 0 {
			return hns.NewError(op, code)
		}
		next, code := modifyPolicies(r.Endpoint.Policies, requestType, valid)
		if code != 0 {
			return hns.NewError(op, code)
		}
		keys, code, err := s.claimablePorts(next, cid)
		if err != nil || code != 0 {
			return errors.Join(err, codeError(op, code))
		}
		var gone []string
		for _, k := range r.Ports {
			if !slices.Contains(keys, k) {
				gone = append(gone, k)
			}
		}
		if err := s.releasePorts(gone, cid); err != nil {
			return err
		}
		for _, k := range keys {
			if err := s.st.holdPort(k, cid); err != nil {
				return err
			}
		}
		r.Endpoint.Policies, r.Ports = next, keys
		return s.writeEndpoint(r)
	})
}

func modifyPolicies(cur []hns.Policy, requestType string, ps []hns.Policy) ([]hns.Policy, uint32) {
	next := slices.Clone(cur)
	switch strings.ToLower(requestType) {
	case "add":
		return append(next, ps...), 0
	case "update":
		next = slices.DeleteFunc(next, func(c hns.Policy) bool {
			return slices.ContainsFunc(ps, func(p hns.Policy) bool { return strings.EqualFold(p.Type, c.Type) })
		})
		return append(next, ps...), 0
	case "remove":
		return slices.DeleteFunc(next, func(c hns.Policy) bool { return containsPolicy(ps, c) }), 0
	case "refresh":
		return next, 0
	}
	return nil, hns.ErrorInvalidParameter
}

// claimablePorts returns the port index keys of the PortMapping policies
// in ps, or 0x803b0013 if one is held by an endpoint other than self or
// requested twice.
func (s *Sim) claimablePorts(ps []hns.Policy, self string) ([]string, uint32, error) {
	var keys []string
	for _, p := range ps {
		if p.Type != "PortMapping" {
			continue
		}
		var m portMapping
		json.Unmarshal(p.Settings, &m) // validated already
		vip := "any"
		if m.VIP != "" {
			vip = strings.ReplaceAll(m.VIP, ":", "-")
		}
		key := fmt.Sprintf("%d_%s_%d", m.Protocol, vip, m.ExternalPort)
		if slices.Contains(keys, key) {
			return nil, hns.PortAlreadyExists, nil
		}
		holder, err := s.st.portHolder(key)
		if err != nil {
			return nil, 0, err
		}
		if holder != "" && holder != self {
			return nil, hns.PortAlreadyExists, nil
		}
		keys = append(keys, key)
	}
	return keys, 0, nil
}

// releasePorts frees the given port keys if self holds them.
func (s *Sim) releasePorts(keys []string, self string) error {
	for _, k := range keys {
		holder, err := s.st.portHolder(k)
		if err != nil {
			return err
		}
		if holder == self {
			if err := s.st.releasePort(k); err != nil {
				return err
			}
		}
	}
	return nil
}
