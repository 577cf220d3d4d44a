//go:build windows

package hcn

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sys/windows"

	"github.com/calico-win/cni/hns"
)

// New returns the hns.Client backed by the host's HNS.
//
// hcn calls are synchronous and cannot be cancelled once started: the context
// is checked before each call, so a caller whose deadline has passed does not
// start new HNS work.
func New() hns.Client { return client{} }

type client struct{}

var _ hns.Client = client{}

// computeNetwork is the DLL hcn calls. hcsshim v0.14.1 panics (a failed type
// assertion in its error constructor) when a function of a missing DLL is
// called, so its presence is checked once before the first call.
var (
	computeNetwork     = windows.NewLazySystemDLL("computenetwork.dll")
	computeNetworkOnce sync.Once
	computeNetworkErr  error
)

func hcnAvailable() error {
	computeNetworkOnce.Do(func() {
		if err := computeNetwork.Load(); err != nil {
			computeNetworkErr = fmt.Errorf("HNS v2 API unavailable (is the Containers feature installed?): %w", err)
		}
	})
	return computeNetworkErr
}

// call runs one hcn call on behalf of the hns.Client method op and returns
// its error converted for the hns classifiers.
func call(ctx context.Context, op string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("hcn %s: %w", op, err)
	}
	if err := hcnAvailable(); err != nil {
		return fmt.Errorf("hcn %s: %w", op, err)
	}
	return convertError(op, f())
}

// checkID verifies that a lookup by ID returned that object, comparing GUIDs
// as HNS does: case-insensitively (HNS prints them upper-case) and with or
// without braces. Anything else, such as what an HNS that ignored the filter
// of an empty ID would return, is reported as not found.
func checkID(kind, want, got string) error {
	if strings.EqualFold(strings.Trim(want, "{}"), strings.Trim(got, "{}")) {
		return nil
	}
	return &hns.NotFoundError{Kind: kind, ID: want}
}
