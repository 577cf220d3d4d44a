package hnstest

import (
	"testing"

	"github.com/calico-win/cni/hns"
)

// tryCreate creates an endpoint that is expected to fail; if it succeeds
// anyway, it is deleted at cleanup.
func tryCreate(t *testing.T, env Env, e *hns.Endpoint) error {
	t.Helper()
	ep, err := env.Client.CreateEndpoint(ctx(t), e)
	if err == nil {
		cleanupEndpoint(t, env, ep.Id)
	}
	return err
}

var addressTests = []contractTest{
	{"Conflict", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		ip := subnetLayout(t, n).host(t, 10)
		createEndpoint(t, env, localEndpoint(n, uniqueName("hnstest-holder"), ip))
		err := tryCreate(t, env, localEndpoint(n, uniqueName("hnstest-clash"), ip))
		wantCode(t, "second endpoint on one address", err, hns.AddrInvalidOrReserved)
		if !hns.IsConflict(err) {
			t.Errorf("hns.IsConflict(%v) = false", err)
		}
	}},
	{"ReleasedOnDelete", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		ip := subnetLayout(t, n).host(t, 10)
		ep := createEndpoint(t, env, localEndpoint(n, uniqueName("hnstest-old"), ip))
		mustDo(t, "DeleteEndpoint", env.Client.DeleteEndpoint(ctx(t), ep.Id))
		createEndpoint(t, env, localEndpoint(n, uniqueName("hnstest-new"), ip))
	}},
	{"Reserved", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		l := subnetLayout(t, n)
		// Older builds answer 0x1392 for the gateway (microsoft/SDN#333).
		for what, ip := range map[string]string{
			"network address": l.prefix.Addr().String(),
			"gateway":         l.gateway.String(),
		} {
			err := tryCreate(t, env, localEndpoint(n, uniqueName("hnstest-rsvd"), ip))
			wantCode(t, what+" "+ip, err, hns.AddrInvalidOrReserved, hns.ErrorAlreadyExists)
		}
	}},
	{"OutsideSubnet", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		ip := subnetLayout(t, n).outside()
		err := tryCreate(t, env, localEndpoint(n, uniqueName("hnstest-out"), ip))
		wantCode(t, "address "+ip+" outside the subnet", err, hns.InvalidIP)
		if !hns.IsInvalidConfig(err) {
			t.Errorf("hns.IsInvalidConfig(%v) = false", err)
		}
	}},
	{"NotAnAddress", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		err := tryCreate(t, env, localEndpoint(n, uniqueName("hnstest-bad"), "10.0.0.300"))
		if !hns.IsInvalidConfig(err) {
			t.Errorf("address 10.0.0.300: err = %v, want an invalid-config error", err)
		}
	}},
	{"DistinctMACs", func(t *testing.T, env Env) {
		n := env.NewNetwork(t)
		l := subnetLayout(t, n)
		seen := map[string]bool{}
		for i := 10; i < 14; i++ {
			ep := createEndpoint(t, env, localEndpoint(n, uniqueName("hnstest-mac"), l.host(t, i)))
			if seen[ep.MacAddress] {
				t.Errorf("MAC %s handed out twice", ep.MacAddress)
			}
			seen[ep.MacAddress] = true
		}
	}},
}
