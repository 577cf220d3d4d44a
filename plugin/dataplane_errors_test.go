package plugin

import (
	"errors"
	"fmt"
	"testing"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/dataplane"
)

// The dataplane's errors reach the runtime with the codes and messages the
// plugin gave them before the dataplane had its own package.
func TestDataplaneErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code uint
		msg  string
	}{
		{&dataplane.PolicyError{Index: 1, Err: errors.New("unexpected end of JSON input")}, types.ErrInvalidNetworkConfig,
			"invalid network config: policies[1].value: unexpected end of JSON input"},
		{fmt.Errorf("%w: HNS network Calico has no management IP (ProviderAddress) yet", dataplane.ErrNotReady), types.ErrTryAgainLater,
			"HNS network not ready: HNS network Calico has no management IP (ProviderAddress) yet"},
	} {
		got := toCNIError(tc.err)
		if got.Code != tc.code || got.Msg != tc.msg {
			t.Errorf("toCNIError(%v) = %d %q, want %d %q", tc.err, got.Code, got.Msg, tc.code, tc.msg)
		}
	}
}
