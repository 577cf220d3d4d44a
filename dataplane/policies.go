package dataplane

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/hns"
)

// aclSettings is Calico's default-deny inbound ACL (priority 65500; Felix's
// own ACLs have lower numbers and win).
type aclSettings struct {
	Protocols string `json:"Protocols"`
	Action    string `json:"Action"`
	Direction string `json:"Direction"`
	RuleType  string `json:"RuleType"`
	Priority  int    `json:"Priority"`
}

var defaultDenyACL = aclSettings{Protocols: "256", Action: "Block", Direction: "In", RuleType: "Switch", Priority: 65500}

// v1ToV2Type maps HNS v1 policy type names to their v2 names, so a conf
// written for dockershim (ROUTE, PA) works with containerd: HNS v2 refuses
// the v1 names with 0x803b000d.
var v1ToV2Type = map[string]string{"ROUTE": "SDNRoute", "PA": "ProviderAddress"}

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
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, &PolicyError{Index: i, Err: err}
		}
		var typ string
		_ = json.Unmarshal(m["Type"], &typ)
		delete(m, "Type")
		if v2, ok := v1ToV2Type[strings.ToUpper(typ)]; ok {
			slog.Debug("translating an HNS v1 policy type for HNS v2", "from", typ, "to", v2)
			typ = v2
		}
		if ex, ok := m["ExceptionList"]; ok {
			m["Exceptions"] = ex
			delete(m, "ExceptionList")
		}
		if strings.EqualFold(typ, "OutBoundNAT") {
			if !nat {
				continue
			}
			sawNAT = true
			var ex []string
			if raw, ok := m["Exceptions"]; ok {
				_ = json.Unmarshal(raw, &ex)
			}
			ex = append(ex, poolCIDRs...)
			m["Exceptions"], _ = json.Marshal(ex)
		}
		settings, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, hns.Policy{Type: typ, Settings: settings})
	}
	if nat && !sawNAT && len(poolCIDRs) > 0 {
		s, _ := json.Marshal(map[string][]string{"Exceptions": poolCIDRs})
		out = append(out, hns.Policy{Type: "OutBoundNAT", Settings: s})
	}
	pa, _ := json.Marshal(map[string]string{"ProviderAddress": mgmtIP.String()})
	out = append(out, hns.Policy{Type: "ProviderAddress", Settings: pa})
	if d.opt.LoopbackDSR {
		d, _ := json.Marshal(map[string][]string{"Destinations": {podIP.String()}})
		out = append(out, hns.Policy{Type: "OutBoundNAT", Settings: d})
	}
	if !d.opt.DisableDefaultDeny {
		a, _ := json.Marshal(defaultDenyACL)
		out = append(out, hns.Policy{Type: "ACL", Settings: a})
	}
	return out, nil
}

// endpointMAC is Calico's VXLAN pod MAC: the prefix and the 4 address bytes
// in lower-case hex (10.244.1.5 with 0E-2A -> 0E-2A-0a-f4-01-05).
func endpointMAC(prefix string, ip netip.Addr) string {
	b := ip.As4()
	return fmt.Sprintf("%s-%02x-%02x-%02x-%02x", prefix, b[0], b[1], b[2], b[3])
}
