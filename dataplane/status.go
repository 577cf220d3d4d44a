package dataplane

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/calico-win/cni/hns"
)

// ErrNetworkGone: the node's HNS network does not exist, so the pods
// already on it have lost their connectivity too.
var ErrNetworkGone = errors.New("the node's HNS network is gone")

// NetworkReady reports whether the node's single network (Options.Name)
// can serve an ADD in this mode now: it exists (else ErrNetworkGone), is of
// the mode's type and has its management IP.
func (d *Dataplane) NetworkReady(ctx context.Context) error {
	name := d.opt.Name
	n, err := d.hns.GetNetworkByName(ctx, name)
	if hns.IsNotFound(err) {
		return fmt.Errorf("%w: %w", ErrNetworkGone, err)
	}
	if err != nil {
		return fmt.Errorf("HNS network %s: %w", name, err)
	}
	if want := d.mode.networkType(); !strings.EqualFold(n.Type, want) {
		return fmt.Errorf("HNS network %s is %s, the configured mode needs %s", name, n.Type, want)
	}
	if _, ok := ManagementIP(n); !ok {
		return fmt.Errorf("HNS network %s has no management IP yet", name)
	}
	return nil
}
