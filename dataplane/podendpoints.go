package dataplane

import (
	"context"
	"fmt"
	"strings"

	"github.com/calico-win/cni/hns"
)

// PodEndpoints returns the pod endpoints this conf named on the given HNS
// networks, by container ID: the local endpoints called
// "<containerID>_<Options.Name>" (EndpointName). The host endpoint, remote
// endpoints and other software's endpoints are left out; a network that does
// not exist has none. Which of them are stale is the caller's decision. On an
// error it returns what it found so far with the error, so a GC can still
// collect those.
func (d *Dataplane) PodEndpoints(ctx context.Context, networks []string) (map[string]*hns.Endpoint, error) {
	out := map[string]*hns.Endpoint{}
	suffix := d.EndpointName("")
	for _, name := range networks {
		n, err := d.hns.GetNetworkByName(ctx, name)
		if hns.IsNotFound(err) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("looking up HNS network %s: %w", name, err)
		}
		eps, err := d.hns.ListEndpointsOfNetwork(ctx, n.Id)
		if err != nil {
			return out, fmt.Errorf("listing the endpoints of HNS network %s: %w", name, err)
		}
		for i := range eps {
			ep := &eps[i]
			cid, ok := strings.CutSuffix(ep.Name, suffix)
			if ep.Flags&hns.EndpointFlagRemote != 0 || !ok || cid == "" {
				continue
			}
			out[cid] = ep
		}
	}
	return out, nil
}
