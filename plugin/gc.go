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

func cmdGC(args *skel.CmdArgs) error {
	c, err := newCall("GC", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	return toCNIError(c.gc())
}

// isGCContainerID tells a container ID GC recognises in a handle
// "<network>.<containerID>" or an endpoint "<containerID>_<network>":
// letters, digits and dashes, not starting with a dash (containerd's and
// Docker's hex IDs, Kubernetes names): ^[A-Za-z0-9][A-Za-z0-9-]*$. With a
// dot or an underscore the split is ambiguous ("Calico.v2.x" is network
// Calico.v2's), so such a container is left to its DEL.
func isGCContainerID(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// handleContainer returns the container of one of this network's handles.
func (c *call) handleContainer(handle string) (string, bool) {
	cid, ok := strings.CutPrefix(handle, c.nc.Name+".")
	return cid, ok && isGCContainerID(cid)
}

// gc removes what this node holds for attachments of this network missing
// from cni.dev/valid-attachments: for each, as DEL does and in DEL's order,
// the WorkloadEndpoint (or the pod's annotations), the HNS endpoint, then the
// IPAM handle and its addresses. An address is released only once its
// endpoints are gone, so it is never handed out while still advertised.
// Without the key nothing is removed: an absent list is no information, not
// an empty one. The host endpoint, remote endpoints and endpoints of other
// software are never touched. It keeps going after an error and reports
// them all.
func (c *call) gc() error {
	if c.nc.ValidAttachments == nil {
		slog.Info("GC without cni.dev/valid-attachments: nothing to do")
		return nil
	}
	if err := c.checkReady(); err != nil {
		return err
	}
	keep := map[string]bool{}
	ifNames := map[string]bool{"eth0": true} // the interface name containerd gives on Windows
	for _, a := range *c.nc.ValidAttachments {
		keep[a.ContainerID] = true
		if a.IfName != "" {
			ifNames[a.IfName] = true
		}
	}
	h, err := openHNS()
	if err != nil {
		return fmt.Errorf("opening HNS: %w", err)
	}
	var errs []error
	dp := newDataplane(c.nc, h)
	eps, err := c.staleEndpoints(dp, keep)
	if err != nil {
		errs = append(errs, err)
	}
	collect := func(cid string, attrs map[string]string) bool {
		if err := c.gcWorkloadEndpoints(cid, attrs, ifNames); err != nil {
			errs = append(errs, err)
			return false
		}
		if ep, ok := eps[cid]; ok {
			delete(eps, cid)
			slog.Info("GC removing endpoint", "endpoint", ep.Name)
			if err := dp.RemoveEndpoint(c.ctx, ep); err != nil {
				errs = append(errs, err)
				return false
			}
		}
		return true
	}
	if c.calicoIPAM() {
		released, err := c.allocator().GC(c.ctx, func(handle string, attrs map[string]string) bool {
			cid, ok := c.handleContainer(handle)
			return ok && !keep[cid] && collect(cid, attrs)
		})
		if err != nil {
			errs = append(errs, err)
		}
		if len(released) > 0 {
			slog.Info("GC released IPAM handles", "handles", released)
		}
	}
	// Endpoints without a handle: a delegated IPAM plugin, or an ADD
	// interrupted before its address was recorded.
	for cid := range eps {
		collect(cid, nil)
	}
	if !c.calicoIPAM() && len(errs) == 0 {
		if err := invoke.DelegateGC(c.ctx, c.nc.IPAM.Type, c.args.StdinData, c.ipamExec()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// staleEndpoints returns this network's pod endpoints on this node whose
// containers are not kept, by container ID. The networks are the one of
// windows_use_single_network, or one per block of this host.
func (c *call) staleEndpoints(dp *dataplane.Dataplane, keep map[string]bool) (map[string]*hns.Endpoint, error) {
	names := []string{c.nc.Name}
	if !c.nc.WindowsUseSingleNetwork {
		snap, err := c.store.Read(c.ctx, datastore.Query{Affinities: c.node})
		if err != nil {
			return nil, err
		}
		names = names[:0]
		for _, af := range snap.Affinities {
			names = append(names, dp.NetworkName(af.Value.CIDR))
		}
	}
	eps, err := dp.PodEndpoints(c.ctx, names)
	for cid := range eps {
		if !isGCContainerID(cid) || keep[cid] {
			delete(eps, cid)
		}
	}
	return eps, err
}

// gcWorkloadEndpoints deletes the workload endpoints of a collected
// container: the pod's (from the allocation's namespace and pod
// attributes) or the cni orchestrator's, under each interface name the
// node uses, and only if the endpoint still names this container (a newer
// sandbox of the pod keeps its own).
func (c *call) gcWorkloadEndpoints(cid string, attrs map[string]string, ifNames map[string]bool) error {
	for ifName := range ifNames {
		k := datastore.WEPKey{Namespace: "default", Name: wepName(c.node, "cni", cid, ifName)}
		if ns, pod := attrs["namespace"], attrs["pod"]; ns != "" && pod != "" {
			k = datastore.WEPKey{Namespace: ns, Name: wepName(c.node, "k8s", pod, ifName)}
		}
		w, err := c.store.GetWorkloadEndpoint(c.ctx, k)
		if errors.Is(err, datastore.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading WorkloadEndpoint %s/%s: %w", k.Namespace, k.Name, err)
		}
		if w.Value.Spec.ContainerID != cid {
			continue
		}
		slog.Info("GC removing WorkloadEndpoint", "wep", k.Name, "containerID", cid)
		if err := c.store.DeleteWorkloadEndpoint(c.ctx, k, w.Rev); err != nil && !errors.Is(err, datastore.ErrNotFound) {
			return fmt.Errorf("deleting WorkloadEndpoint %s/%s: %w", k.Namespace, k.Name, err)
		}
	}
	return nil
}
