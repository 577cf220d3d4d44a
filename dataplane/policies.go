package dataplane

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/hns"
)

// defaultDenyACL is Calico's default-deny inbound ACL (priority 65500;
// Felix's own ACLs have lower numbers and win).
var defaultDenyACL = hns.ACLSetting{Protocols: "256", Action: "Block", Direction: "In", RuleType: "Switch", Priority: 65500}

// v1ToV2Type maps HNS v1 policy type names to their v2 names, so a conf
// written for dockershim (ROUTE, PA) works with containerd: HNS v2 refuses
// the v1 names with 0x803b000d.
var v1ToV2Type = map[string]string{"ROUTE": hns.SDNRoute, "PA": hns.ProviderAddress}

// endpointPolicies computes the HNS v2 policies of a pod endpoint as Calico
// does (winpol.CalculateEndpointPolicies and the VXLAN additions):
//   - the conf's EndpointPolicy entries, Type kept and the other keys moved
//     under Settings, ExceptionList renamed Exceptions;
//   - OutBoundNAT: with NAT outgoing on the pod's pool, every pool CIDR is
//     added to the exceptions (and one entry is created if the conf has
//     none); with NAT off, OutBoundNAT entries are dropped;
//   - ProviderAddress = the node's management IP;
//   - loopback DSR (OutBoundNAT Destinations=[pod IP]) if enabled;
//   - the default-deny inbound ACL unless disabled, in the create request
//     itself rather than a second HNS call.
func (d *Dataplane) endpointPolicies(pools []Pool, podIP, mgmtIP netip.Addr) ([]hns.Policy, error) {
	nat := true
	var poolCIDRs []string
	for _, p := range pools {
		if p.CIDR.Addr().Is4() {
			poolCIDRs = append(poolCIDRs, p.CIDR.Masked().String())
		}
		if p.CIDR.Contains(podIP) {
			nat = p.NATOutgoing
		}
	}
	var out []hns.Policy
	sawNAT := false
	for i, raw := range d.opt.Policies {
		p, err := confPolicy(raw, nat, poolCIDRs)
		if err != nil {
			return nil, &PolicyError{Index: i, Err: err}
		}
		if p.Is(hns.OutBoundNAT) {
			if !nat {
				continue
			}
			sawNAT = true
		}
		out = append(out, p)
	}
	if nat && !sawNAT && len(poolCIDRs) > 0 {
		out = append(out, hns.NewPolicy(hns.OutboundNATSetting{Exceptions: poolCIDRs}))
	}
	out = append(out, d.mode.podPolicies(mgmtIP)...)
	if d.opt.LoopbackDSR {
		out = append(out, hns.NewPolicy(hns.OutboundNATSetting{Destinations: []string{podIP.String()}}))
	}
	if !d.opt.DisableDefaultDeny {
		out = append(out, hns.NewPolicy(defaultDenyACL))
	}
	return out, nil
}

// confPolicy is one configured EndpointPolicy value as an HNS v2 policy:
// Type kept (v1 names translated), the other keys moved under Settings
// (ExceptionList renamed Exceptions), and, with nat, the pool CIDRs added
// to an OutBoundNAT's exceptions. Keys it does not know pass through.
func confPolicy(raw json.RawMessage, nat bool, poolCIDRs []string) (hns.Policy, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return hns.Policy{}, err
	}
	var typ string
	if err := json.Unmarshal(m["Type"], &typ); err != nil {
		return hns.Policy{}, fmt.Errorf("key Type: %w", err)
	}
	delete(m, "Type")
	if v2, ok := v1ToV2Type[strings.ToUpper(typ)]; ok {
		slog.Debug("translating an HNS v1 policy type for HNS v2", "from", typ, "to", v2)
		typ = v2
	}
	if ex, ok := m["ExceptionList"]; ok {
		m["Exceptions"] = ex
		delete(m, "ExceptionList")
	}
	if nat && strings.EqualFold(typ, hns.OutBoundNAT) {
		var ex []string
		if raw, ok := m["Exceptions"]; ok {
			if err := json.Unmarshal(raw, &ex); err != nil {
				return hns.Policy{}, fmt.Errorf("key Exceptions: %w", err)
			}
		}
		b, err := json.Marshal(append(ex, poolCIDRs...))
		if err != nil {
			return hns.Policy{}, err
		}
		m["Exceptions"] = b
	}
	settings, err := json.Marshal(m)
	if err != nil {
		return hns.Policy{}, err
	}
	return hns.Policy{Type: typ, Settings: settings}, nil
}
