//go:build windows

package hcn

import (
	"encoding/json"
	"fmt"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

// The hns mirror types carry hcn's JSON field names, and JSON is what both
// sides send to HNS, so objects are converted through their JSON form: a
// field either type lacks is dropped the same way HNS would not see it
// (TestMirrorMatchesHCN keeps the two sets of fields equal).
func viaJSON[Out any](in any) (*Out, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", in, err)
	}
	out := new(Out)
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("decoding %T as %T: %w", in, out, err)
	}
	return out, nil
}

func toHCNNetwork(n *hns.Network) (*hcn.HostComputeNetwork, error) {
	return viaJSON[hcn.HostComputeNetwork](n)
}

func fromHCNNetwork(n *hcn.HostComputeNetwork) (*hns.Network, error) {
	return viaJSON[hns.Network](n)
}

func toHCNEndpoint(e *hns.Endpoint) (*hcn.HostComputeEndpoint, error) {
	return viaJSON[hcn.HostComputeEndpoint](e)
}

func fromHCNEndpoint(e *hcn.HostComputeEndpoint) (*hns.Endpoint, error) {
	return viaJSON[hns.Endpoint](e)
}

func fromHCNEndpoints(es []hcn.HostComputeEndpoint) ([]hns.Endpoint, error) {
	out := make([]hns.Endpoint, 0, len(es))
	for i := range es {
		e, err := fromHCNEndpoint(&es[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, nil
}

func toHCNNamespace(ns *hns.Namespace) (*hcn.HostComputeNamespace, error) {
	return viaJSON[hcn.HostComputeNamespace](ns)
}

func fromHCNNamespace(ns *hcn.HostComputeNamespace) (*hns.Namespace, error) {
	return viaJSON[hns.Namespace](ns)
}

func toHCNEndpointPolicies(ps []hns.Policy) []hcn.EndpointPolicy {
	out := make([]hcn.EndpointPolicy, len(ps))
	for i, p := range ps {
		out[i] = hcn.EndpointPolicy{Type: hcn.EndpointPolicyType(p.Type), Settings: p.Settings}
	}
	return out
}

func toHCNNetworkPolicies(ps []hns.Policy) []hcn.NetworkPolicy {
	out := make([]hcn.NetworkPolicy, len(ps))
	for i, p := range ps {
		out[i] = hcn.NetworkPolicy{Type: hcn.NetworkPolicyType(p.Type), Settings: p.Settings}
	}
	return out
}
