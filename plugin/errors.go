package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/dataplane"
	"github.com/calico-win/cni/datastore"
	etcdstore "github.com/calico-win/cni/datastore/etcd"
	"github.com/calico-win/cni/datastore/kdd"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/ipam"
)

// STATUS codes of the CNI 1.1 spec.
const (
	CodeNotAvailable uint = 50 // the plugin cannot serve ADD now
	CodeDegraded     uint = 51 // ... and existing containers may have limited connectivity
)

// Plugin-specific CNI error codes (100 and up are the plugin's to define).
const (
	CodeDatastoreTest    uint = 100 // calico -t failed (Calico's code)
	CodeAccessDenied     uint = 101 // the datastore refused our credentials or permissions
	CodeIPAMConfig       uint = 102 // IPAMConfig forbids this node (strict affinity off)
	CodeAddressExhausted uint = 103 // no free address and no block may be claimed
	CodeHNS              uint = 104 // HNS refused a request for a reason that retrying will not fix
)

// ArgsError is a problem with CNI_ARGS or another environment variable.
type ArgsError struct{ Msg string }

func (e *ArgsError) Error() string { return e.Msg }

// toCNIError is the one place that maps an error to a CNI error code.
func toCNIError(err error) *types.Error {
	if err == nil {
		return nil
	}
	var te *types.Error
	if errors.As(err, &te) {
		return te
	}
	var pe *dataplane.PolicyError
	if errors.As(err, &pe) {
		err = &ConfigError{Key: fmt.Sprintf("policies[%d].value", pe.Index), Reason: pe.Err.Error()}
	}
	var ce *ConfigError
	var ae *ArgsError
	code := uint(types.ErrInternal)
	switch {
	case errors.As(err, &ce), errors.Is(err, kdd.ErrAPIGroupNotServed), errors.Is(err, kdd.ErrInvalidHandleID):
		code = types.ErrInvalidNetworkConfig
	case errors.Is(err, etcdstore.ErrNotGateway):
		return types.NewError(types.ErrInvalidNetworkConfig, "invalid network config: etcd_endpoints: "+err.Error(), "")
	case errors.As(err, &ae):
		code = types.ErrInvalidEnvironmentVariables
	case errors.Is(err, datastore.ErrUnauthorized):
		code = CodeAccessDenied
	case errors.Is(err, datastore.ErrUnavailable), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ipam.ErrNoNode), errors.Is(err, errNotReady), errors.Is(err, dataplane.ErrNotReady),
		errors.Is(err, dataplane.ErrUnconfirmed),
		hns.IsServiceUnavailable(err),
		// Transient: other writers kept winning, or the pod was deleted (or
		// replaced) while its sandbox was being set up.
		errors.Is(err, datastore.ErrConflict), errors.Is(err, kdd.ErrPodGone):
		code = types.ErrTryAgainLater
	case errors.Is(err, ipam.ErrStrictAffinity):
		code = CodeIPAMConfig
	case errors.Is(err, ipam.ErrBlockLimit), errors.Is(err, ipam.ErrNoFreeBlocks), errors.Is(err, ipam.ErrAutoAllocateDisabled):
		code = CodeAddressExhausted
	case errors.Is(err, ipam.ErrInvalidRequest):
		code = types.ErrInvalidNetworkConfig
	case hns.Code(err) != 0:
		code = CodeHNS
	}
	return types.NewError(code, err.Error(), "")
}

// errNotReady: Calico is not ready (ClusterInformation datastoreReady false) or
// the HNS network is not ready yet.
//
//lint:ignore ST1005 Calico's exact text, which users search for.
var errNotReady = errors.New("Calico is currently not ready to process requests")
