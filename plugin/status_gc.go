package plugin

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/skel"

	"github.com/calico-win/cni/dataplane"
	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
)

func cmdStatus(args *skel.CmdArgs) error {
	c, err := newCall("STATUS", args)
	if err != nil {
		return statusError(err)
	}
	defer c.close()
	return statusError(c.status())
}

// status reports whether an ADD can succeed now: Calico is ready in the
// datastore, IPAM allows this node, and the HNS network exists with its
// management IP, of the configured mode's type.
func (c *call) status() error {
	snap, err := c.store.Read(c.ctx, datastore.Query{ClusterInfo: true})
	if err != nil {
		return err
	}
	if err := ready(snap); err != nil {
		return err
	}
	if c.calicoIPAM() {
		if err := c.allocator().Ready(c.ctx, c.nc.IPAM.IPv4Pools); err != nil {
			return err
		}
	} else if err := invoke.DelegateStatus(c.ctx, c.nc.IPAM.Type, c.args.StdinData, nil); err != nil {
		return err
	}
	if !c.nc.WindowsUseSingleNetwork {
		return nil // per-block networks appear with their first pod
	}
	h, err := openHNS()
	if err != nil {
		return fmt.Errorf("opening HNS: %w", err)
	}
	err = newDataplane(c.nc, h).NetworkReady(c.ctx)
	if errors.Is(err, dataplane.ErrNetworkGone) {
		return fmt.Errorf("%w (%v)", errNetworkGone, err)
	}
	return err
}

func cmdGC(args *skel.CmdArgs) error {
	c, err := newCall("GC", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	return toCNIError(c.gc())
}

// gc removes this node's pod endpoints ("<containerID>_<name>") and IPAM
// handles whose containers are not in cni.dev/valid-attachments. Without
// that key nothing is removed. The host endpoint, remote endpoints and
// endpoints of other software are never touched. It keeps going after an
// error and reports them all.
func (c *call) gc() error {
	if c.nc.ValidAttachments == nil {
		slog.Info("GC without cni.dev/valid-attachments: nothing to do")
		return nil
	}
	keep := map[string]bool{}
	for _, a := range *c.nc.ValidAttachments {
		keep[a.ContainerID] = true
	}
	var errs []error
	if err := c.gcEndpoints(keep); err != nil {
		errs = append(errs, err)
	}
	if c.calicoIPAM() {
		released, err := c.gcIPAM()
		if err != nil {
			errs = append(errs, err)
		}
		if len(released) > 0 {
			slog.Info("GC released IPAM handles", "handles", released)
		}
	} else if err := invoke.DelegateGC(c.ctx, c.nc.IPAM.Type, c.args.StdinData, nil); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *call) gcEndpoints(keep map[string]bool) error {
	h, err := openHNS()
	if err != nil {
		return fmt.Errorf("opening HNS: %w", err)
	}
	if !c.nc.WindowsUseSingleNetwork {
		// Calico for Windows supports only single-network mode; per-block
		// networks are created for compatibility but not garbage-collected.
		slog.Warn("GC of HNS endpoints needs windows_use_single_network; skipping endpoints")
		return nil
	}
	n, err := h.GetNetworkByName(c.ctx, c.nc.Name)
	if hns.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	eps, err := h.ListEndpointsOfNetwork(c.ctx, n.Id)
	if err != nil {
		return err
	}
	dp := newDataplane(c.nc, h)
	suffix := "_" + c.nc.Name
	var errs []error
	for i := range eps {
		ep := &eps[i]
		if ep.Flags&hns.EndpointFlagRemote != 0 || ep.Name == n.Name+"_ep" || !strings.HasSuffix(ep.Name, suffix) {
			continue
		}
		if cid := strings.TrimSuffix(ep.Name, suffix); !keep[cid] {
			slog.Info("GC removing endpoint", "endpoint", ep.Name)
			if err := dp.RemoveEndpoint(c.ctx, ep); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
