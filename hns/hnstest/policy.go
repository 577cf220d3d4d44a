package hnstest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// pol builds a policy from a type and settings in JSON.
func pol(typ, settings string) hns.Policy {
	return hns.Policy{Type: typ, Settings: json.RawMessage(settings)}
}

// defaultDeny is Calico's default-deny ACL.
var defaultDeny = hns.NewPolicy(hns.ACLSetting{Protocols: "256", Action: "Block", Direction: "In", RuleType: "Switch", Priority: 65500})

func countType(ps []hns.Policy, typ string) int {
	n := 0
	for _, p := range ps {
		if strings.EqualFold(p.Type, typ) {
			n++
		}
	}
	return n
}

var policyTests = []contractTest{
	{"AcceptedAndReadBack", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		e := localEndpoint(n, uniqueName("hnstest-pol"), subnetLayout(t, n).host(t, 10))
		e.Policies = []hns.Policy{
			pol(hns.OutBoundNAT, `{"Exceptions":["10.96.0.0/12","10.244.0.0/16"]}`),
			pol("SDNROUTE", `{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}`), // Calico's spelling
			defaultDeny,
		}
		ep := createEndpoint(t, env, e)
		for typ, want := range map[string]int{hns.OutBoundNAT: 1, hns.SDNRoute: 1, hns.ACL: 1} {
			if got := countType(ep.Policies, typ); got < want {
				t.Errorf("created endpoint has %d %s policies, want %d: %+v", got, typ, want, ep.Policies)
			}
		}
	}},
	{"UnknownType", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		e := localEndpoint(n, uniqueName("hnstest-pol"), subnetLayout(t, n).host(t, 10))
		e.Policies = []hns.Policy{pol("NoSuchPolicy", `{}`)}
		wantCode(t, "unknown policy type", tryCreate(t, env, e), hns.InvalidPolicyType)
	}},
	{"InvalidSettings", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		l := subnetLayout(t, n)
		tests := []struct {
			name string
			p    hns.Policy
		}{
			{"OutBoundNAT exception not a CIDR", pol(hns.OutBoundNAT, `{"Exceptions":["10.96.0.0/99"]}`)},
			{"ACL action", pol(hns.ACL, `{"Action":"Maybe","Direction":"In"}`)},
			{"ACL direction", pol(hns.ACL, `{"Action":"Block","Direction":"Sideways"}`)},
			{"SDNRoute prefix", pol(hns.SDNRoute, `{"DestinationPrefix":"not-a-prefix"}`)},
			{"settings not an object", pol(hns.OutBoundNAT, `"Exceptions"`)},
			{"v1 ROUTE type (calico#8465)", pol("ROUTE", `{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}`)},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := localEndpoint(n, uniqueName("hnstest-pol"), l.host(t, 10+i))
				e.Policies = []hns.Policy{tt.p}
				wantCode(t, tt.name, tryCreate(t, env, e), hns.InvalidPolicy)
			})
		}
	}},
}
