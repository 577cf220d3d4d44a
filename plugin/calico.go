package plugin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/calico-win/cni/dataplane"
	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/ipam"
)

// CalicoFuncs are the main plugin's CNI commands.
var CalicoFuncs = skel.CNIFuncs{Add: cmdAdd, Del: cmdDel, Check: cmdCheck, Status: cmdStatus, GC: cmdGC}

// readPod starts reading the pod and its namespace from the API server, for
// a Kubernetes pod with policy k8s (labels, service account and ports for
// the WorkloadEndpoint, pool annotations for IPAM, as Calico reads them),
// alongside the first datastore read. It returns nil when there is nothing to read.
func (c *call) readPod() func() (*kubePod, error) {
	if !c.cargs.k8s() || !strings.EqualFold(c.nc.Policy.Type, "k8s") || !usesKubeAPI(c.nc) {
		return nil
	}
	if ks, ok := c.sharesPodRead(); ok {
		return c.readPodWithStore(ks, c.wepKey())
	}
	var pod *kubePod
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		pod, err = readKubePod(c.ctx, c.nc, string(c.cargs.K8S_POD_NAMESPACE), string(c.cargs.K8S_POD_NAME))
	}()
	return func() (*kubePod, error) { <-done; return pod, err }
}

// calicoIPAM reports whether IPAM runs in-process (one process per ADD,
// where Calico execs a second one).
func (c *call) calicoIPAM() bool { return c.nc.IPAM.Type == "calico-ipam" || c.nc.IPAM.Type == "" }

// ready is the readiness gate of every ADD: ClusterInformation "default"
// must exist and say datastoreReady (a missing field is an error, where
// Calico dereferences it and panics).
func ready(s *datastore.Snapshot) error {
	switch {
	case s.ClusterInfo == nil:
		return fmt.Errorf("%w: error getting ClusterInformation: resource does not exist: ClusterInformation(default)", errNotReady)
	case s.ClusterInfo.DatastoreReady == nil:
		return fmt.Errorf("%w: ClusterInformation(default) has no datastoreReady field", errNotReady)
	case !*s.ClusterInfo.DatastoreReady:
		return errNotReady
	}
	return nil
}

func cmdAdd(args *skel.CmdArgs) error {
	c, err := newCall("ADD", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	res, err := c.add()
	if err != nil {
		if cs, ok := c.store.(*cachedStore); ok {
			cs.forget()
		}
		slog.Error("Final result of CNI ADD was an error.", "err", err)
		return toCNIError(err)
	}
	return types.PrintResult(res, c.nc.CNIVersion)
}

// ipamOutcome is the address an ADD got and how to give it back.
type ipamOutcome struct {
	res   *current.Result
	addr  netip.Addr
	block netip.Prefix
	snap  *datastore.Snapshot   // ClusterInfo, pools and the WEP, read with the IPAM data
	undo  func(context.Context) // releases the address if this ADD took it
	// noIPAM: the address is the pod's ipAddrsNoIpam annotation, not IPAM's.
	noIPAM bool
}

func (c *call) add() (*current.Result, error) {
	if err := errors.Join(c.configRefusal(), c.podRefusal()); err != nil {
		return nil, err
	}
	defer c.reserveUndo()()
	nsID, err := namespaceID(c.args.Netns)
	if err != nil {
		return nil, err
	}
	h, err := openHNS()
	if err != nil {
		return nil, fmt.Errorf("opening HNS: %w", err)
	}
	if err := c.checkReadinessGates(); err != nil {
		return nil, err
	}
	mtu, err := mtu(c.nc)
	if err != nil {
		return nil, err
	}
	if c.nc.Policy.Type == "" {
		// Calico gives a network with no policy type a profile of its name,
		// Kubernetes pods too (open to all ingress for them).
		// Done first: it is idempotent, so a failure leaves nothing to undo.
		if err := c.store.EnsureProfile(c.ctx, datastore.DefaultProfile(c.nc.Name, c.cargs.k8s())); err != nil {
			return nil, fmt.Errorf("creating profile %s: %w", c.nc.Name, err)
		}
	}
	start := time.Now()
	got, err := c.addIPAM(c.readPod())
	if err != nil {
		return nil, err
	}
	slog.Debug("address assigned", "ip", got.addr, "block", got.block, "ms", msSince(start))
	dp := newDataplane(c.nc, h)
	if got.noIPAM {
		if err := c.checkNoIPAMNetwork(dp, got.block); err != nil {
			return nil, err
		}
	}
	// On the Kubernetes datastore the endpoint records no MAC, so a new
	// pod's is written while HNS creates the HNS endpoint (wepAlongside).
	wep := c.wepAlongside(got)
	// fail undoes this ADD: the WorkloadEndpoint written alongside and the
	// HNS endpoint it created (if any), then the address, on a fresh budget.
	fail := func(created *hns.Endpoint, err error) (*current.Result, error) {
		ctx, cancel := c.undoContext()
		defer cancel()
		if wep != nil && <-wep == nil {
			if werr := c.removeWEP(ctx, c.wepKey(), nil); werr != nil {
				slog.Error("could not remove the WorkloadEndpoint after a failed ADD; the runtime's DEL will", "err", werr)
				// It names the address: keep that for the DEL to free.
				return nil, err
			}
		}
		if created != nil {
			if rerr := dp.RemoveEndpoint(ctx, created); rerr != nil {
				slog.Error("could not remove the endpoint after a failed ADD; the runtime's DEL will", "endpoint", created.Name, "err", rerr)
				// The endpoint holds the address: keep it for the DEL to free.
				return nil, err
			}
		}
		got.undo(ctx)
		return nil, err
	}
	n, mgmt, err := dp.EnsureNetwork(c.ctx, got.block)
	if err != nil {
		return fail(nil, err)
	}
	ep, created, err := dp.AttachPod(c.ctx, n, mgmt, dataplane.Pod{
		ContainerID: c.args.ContainerID, NamespaceID: nsID, Addr: got.addr, Block: got.block, Pools: dataplanePools(got.snap.Pools)})
	if err != nil {
		if !created {
			ep = nil
		}
		return fail(ep, c.unknownNamespace(dp, nsID, err))
	}
	slog.Debug("HNS endpoint attached", "endpoint", ep.Name, "id", ep.Id, "ms", msSince(start))
	if wep != nil {
		err = <-wep
		wep = nil // its outcome is taken: fail has none of it left to undo
	} else {
		err = c.writeWEP(got, ep.MacAddress)
	}
	if err != nil {
		if !created {
			ep = nil
		}
		return fail(ep, err)
	}
	slog.Debug("workload endpoint written", "ms", msSince(start))
	c.ensureVXLANTunnel(got.snap.Node, got.block, n)
	return c.result(got, ep.MacAddress, mtu), nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// addIPAM gets the pod's address: in-process for calico-ipam (with the
// readiness check, the pools and the WEP in the same first read), through
// CNI_PATH for any other IPAM plugin.
//
// pod, when not nil, yields the pod read from the API server meanwhile.
func (c *call) addIPAM(pod func() (*kubePod, error)) (*ipamOutcome, error) {
	extra := datastore.Query{ClusterInfo: true, Endpoints: []datastore.WEPKey{c.wepKey()}}
	// noIPAM is the pod's ipAddrsNoIpam address, with the first read.
	var noIPAM netip.Addr
	var noIPAMSnap *datastore.Snapshot
	// prepare runs after the first read: the readiness gate, then the pod.
	prepare := func(s *datastore.Snapshot, req *ipam.Request) error {
		if err := ready(s); err != nil {
			return err
		}
		if pod != nil {
			var err error
			if c.pod, err = pod(); err != nil {
				return err
			}
			applyPod(req, c.pod)
			pa, err := c.annotatedAddrs(c.pod.Annotations)
			if err != nil {
				return err
			}
			if pa.ip.IsValid() {
				req.IP = pa.ip // wins over CNI_ARGS IP=, as in Calico
			}
			if pa.noIPAM.IsValid() {
				noIPAM, noIPAMSnap = pa.noIPAM, s
				return errSkipIPAM
			}
		}
		return nil
	}
	if c.calicoIPAM() {
		res, asg, err := c.assign(extra, prepare)
		if errors.Is(err, errSkipIPAM) {
			block, err := noIPAMBlock(noIPAM, noIPAMSnap.Pools)
			if err != nil {
				return nil, err
			}
			return &ipamOutcome{res: &current.Result{}, addr: noIPAM, block: block, snap: noIPAMSnap, undo: func(context.Context) {}, noIPAM: true}, nil
		}
		if err != nil && c.pod != nil && c.pod.Annotations[annotationIPAddrs] != "" {
			return nil, fmt.Errorf("pod annotation %s %s: %w", annotationIPAddrs, c.pod.Annotations[annotationIPAddrs], err)
		}
		if err != nil {
			return nil, err
		}
		if asg == nil {
			return nil, &ConfigError{Key: "ipam.assign_ipv4", Value: "false", Reason: "the pod needs an IPv4 address"}
		}
		out := &ipamOutcome{res: res, addr: asg.Addr, block: asg.Block, snap: asg.Snapshot, undo: func(context.Context) {}}
		if !asg.Existing {
			out.undo = func(ctx context.Context) {
				if _, err := c.allocator().Release(ctx, c.handleID()); err != nil {
					slog.Error("could not release the address after a failed ADD", "handle", c.handleID(), "err", err)
				}
			}
		}
		return out, nil
	}
	return c.addDelegated(extra, prepare)
}

// addDelegated gets the pod's address from the IPAM plugin the conf names
// (host-local, usually), after the first read and its checks.
func (c *call) addDelegated(extra datastore.Query, prepare func(*datastore.Snapshot, *ipam.Request) error) (*ipamOutcome, error) {
	extra.Pools, extra.Node = true, c.node
	snap, err := c.store.Read(c.ctx, extra)
	if err != nil {
		return nil, err
	}
	if err := prepare(snap, &ipam.Request{}); err != nil {
		return nil, err
	}
	stdin, err := c.hostLocalStdin(false)
	if err != nil {
		return nil, err
	}
	r, err := invoke.DelegateAdd(c.ctx, c.nc.IPAM.Type, stdin, c.ipamExec())
	if err != nil {
		return nil, err
	}
	res, err := current.NewResultFromResult(r)
	if err != nil {
		return nil, err
	}
	out := &ipamOutcome{res: res, snap: snap, undo: func(ctx context.Context) {
		if err := c.delegateDel(ctx); err != nil {
			slog.Error("could not release the address after a failed ADD", "ipam", c.nc.IPAM.Type, "err", err)
		}
	}}
	for _, ip := range res.IPs {
		if a, ok := netip.AddrFromSlice(ip.Address.IP); ok && a.Unmap().Is4() {
			ones, _ := ip.Address.Mask.Size()
			out.addr, out.block = a.Unmap(), netip.PrefixFrom(a.Unmap(), ones).Masked()
			return out, nil
		}
	}
	ctx, cancel := c.undoContext()
	defer cancel()
	out.undo(ctx)
	return nil, fmt.Errorf("IPAM plugin %s returned no IPv4 address", c.nc.IPAM.Type)
}

// wepAlongside starts writing the WorkloadEndpoint of a new pod (none was
// read) when the datastore records no MAC, so that it need not wait for
// the HNS endpoint: on the Kubernetes datastore the endpoint is the pod's
// annotations, a write as slow as HNS's work. The channel yields the
// write's outcome once; nil means the caller writes it after HNS, as Calico
// does (on etcd, which stores the MAC, or over an existing endpoint, which
// a failed ADD must leave as it was).
func (c *call) wepAlongside(got *ipamOutcome) chan error {
	if !c.perObjectReads() {
		return nil
	}
	if _, ok := got.snap.Endpoints[c.wepKey()]; ok {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- c.writeWEP(got, "") }()
	runtime.Gosched() // let the write reach the network before HNS's work takes this thread
	return done
}

// removeWEP deletes this container's WorkloadEndpoint (kept when it
// belongs to a newer sandbox or pod): one conditional write where the
// store can, else a read and a delete (snap, when not nil, holds the read).
func (c *call) removeWEP(ctx context.Context, k datastore.WEPKey, snap *datastore.Snapshot) error {
	if epd := c.endpointDeleter(); epd != nil {
		return c.deleteWEPOf(ctx, epd, k)
	}
	return c.deleteWEP(ctx, k, snap)
}

// writeWEP records the workload endpoint, replacing the one of an earlier
// ADD of the same pod.
func (c *call) writeWEP(got *ipamOutcome, mac string) error {
	var info *podInfo
	if c.pod != nil {
		info = &c.pod.podInfo
	}
	w := datastore.Versioned[datastore.WorkloadEndpoint]{Value: c.buildWEP(got.addr, mac, info)}
	// On the Kubernetes datastore the endpoint's UID is the pod's: the
	// instance this sandbox is for, which the store writes only on, never
	// on a new pod of the same name. (On etcd it is the endpoint's own.)
	uid := c.podUID()
	w.Value.Metadata.UID = uid
	if old, ok := got.snap.Endpoints[c.wepKey()]; ok {
		w.Rev = old.Rev
		w.Value.Metadata.UID, w.Value.Metadata.CreationTimestamp = cmp.Or(uid, old.Value.Metadata.UID), old.Value.Metadata.CreationTimestamp
	}
	_, err := c.store.PutWorkloadEndpoint(c.ctx, w)
	if errors.Is(err, datastore.ErrExists) || errors.Is(err, datastore.ErrConflict) {
		// Another writer got in between: take its revision and write once more.
		old, gerr := c.store.GetWorkloadEndpoint(c.ctx, c.wepKey())
		if gerr != nil {
			return gerr
		}
		w.Rev = old.Rev
		w.Value.Metadata.UID, w.Value.Metadata.CreationTimestamp = cmp.Or(uid, old.Value.Metadata.UID), old.Value.Metadata.CreationTimestamp
		_, err = c.store.PutWorkloadEndpoint(c.ctx, w)
	}
	if err != nil {
		return fmt.Errorf("writing WorkloadEndpoint %s/%s: %w", c.wepKey().Namespace, c.wepKey().Name, err)
	}
	return nil
}

// result is the CNI result Calico returns on Windows: the host-side name and
// the pod interface with the HNS endpoint's MAC, the address with the block's
// mask (as IPAM returned it), IPAM's routes and the DNS the endpoint got.
func (c *call) result(got *ipamOutcome, mac string, mtu int) *current.Result {
	k8s := c.cargs.k8s()
	hostIf := hostIfName(k8s, string(c.cargs.K8S_POD_NAMESPACE), string(c.cargs.K8S_POD_NAME), c.args.ContainerID)
	res := &current.Result{
		CNIVersion: current.ImplementedSpecVersion,
		Interfaces: []*current.Interface{{Name: hostIf}, {Name: c.args.IfName, Mac: mac, Mtu: mtu, Sandbox: c.args.Netns}},
		IPs: []*current.IPConfig{{Interface: current.Int(1),
			Address: net.IPNet{IP: got.addr.AsSlice(), Mask: net.CIDRMask(got.block.Bits(), 32)}}},
		Routes: got.res.Routes,
	}
	d := endpointDNS(c.nc)
	res.DNS = types.DNS{Nameservers: d.ServerList, Domain: d.Domain, Search: d.Search, Options: d.Options}
	return res
}

func cmdDel(args *skel.CmdArgs) error {
	c, err := newCall("DEL", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	if err := c.del(); err != nil {
		slog.Error("Final result of CNI DEL was an error.", "err", err)
		return toCNIError(err)
	}
	return nil
}

// del undoes ADD: the WorkloadEndpoint (kept when it belongs to a newer
// sandbox of the pod) and the HNS endpoint, together, then the address.
// Whatever is already gone counts as done; anything else fails the DEL so
// the runtime retries it, instead of leaking.
func (c *call) del() error {
	k := c.wepKey()
	handles := append([]string{c.handleID()}, c.legacyHandles()...)
	// ClusterInfo: during a datastore migration (datastoreReady false) a
	// DEL writes nothing, as Calico's DEL; the runtime retries it.
	q := datastore.Query{ClusterInfo: true}
	if c.endpointDeleter() == nil { // else removeWEP deletes it unread
		q.Endpoints = []datastore.WEPKey{k}
	}
	if c.calicoIPAM() {
		q.Handles = c.firstHandles(handles)
		// The release needs the config (ipCooldownSeconds), the pools and the
		// Node (an emptied block whose pool no longer selects the node is
		// released); with ClusterInfo and Reservations, the node-local cache
		// serves them on Kubernetes.
		q.Config, q.Pools, q.ClusterInfo, q.Reservations, q.Node = true, true, true, true, c.node
		// The pod's address is most likely in the node's current block:
		// read it now rather than after the handle (or use the node's copy).
		q.Blocks = c.hintedBlock()
	}
	snap, err := c.store.Read(c.ctx, q)
	if err != nil {
		return err
	}
	if err := ready(snap); err != nil {
		return err
	}
	if c.calicoIPAM() {
		if snap, err = c.withLegacyHandles(snap, handles); err != nil {
			return err
		}
	}
	// Calico deletes the WorkloadEndpoint, then the HNS endpoint. Neither
	// depends on the other (each is retried by the runtime's next DEL when
	// it fails), so here they run together; what the order protects is
	// kept: the address is released only once both are gone.
	weps := make(chan error, 1)
	go func() { weps <- c.removeWEP(c.ctx, k, snap) }()
	runtime.Gosched() // the write is the longer of the two: let it reach the network first
	rerr := c.removePod(snap, handles)
	werr := <-weps
	if werr != nil && rerr != nil {
		slog.Error("could not remove the HNS endpoint either", "err", rerr)
	}
	if err := cmp.Or(werr, rerr); err != nil {
		return err
	}
	if c.calicoIPAM() {
		_, err := c.allocator().ReleaseRead(c.ctx, snap, handles...)
		return err
	}
	return c.delegateDel(c.ctx)
}

// removePod removes the container's HNS endpoint.
func (c *call) removePod(snap *datastore.Snapshot, handles []string) error {
	h, err := openHNS()
	if err != nil {
		return fmt.Errorf("opening HNS: %w", err)
	}
	return newDataplane(c.nc, h).RemovePod(c.ctx, c.args.ContainerID, handleBlocks(snap, handles))
}

// handleBlocks are the blocks the handles hold addresses in, as read.
func handleBlocks(snap *datastore.Snapshot, handles []string) []netip.Prefix {
	var out []netip.Prefix
	for _, id := range handles {
		for b := range snap.Handles[id].Value.Block {
			if p, err := netip.ParsePrefix(b); err == nil && !slices.Contains(out, p.Masked()) {
				out = append(out, p.Masked())
			}
		}
	}
	return out
}

// delegateDel hands the address back to the delegated IPAM plugin.
func (c *call) delegateDel(ctx context.Context) error {
	stdin, err := c.hostLocalStdin(true)
	if err != nil {
		return err
	}
	return invoke.DelegateDel(ctx, c.nc.IPAM.Type, stdin, c.ipamExec())
}

// deleteWEP deletes this container's WorkloadEndpoint, unless it belongs to
// another container ID (a DEL for an old sandbox of a pod that has a new one).
// snap holds the endpoint as first read; a conflict reads it again.
func (c *call) deleteWEP(ctx context.Context, k datastore.WEPKey, snap *datastore.Snapshot) error {
	for attempt := 0; attempt < 6; attempt++ {
		var w *datastore.Versioned[datastore.WorkloadEndpoint]
		if snap != nil {
			v, ok := snap.Endpoints[k]
			if !ok {
				return nil
			}
			w, snap = &v, nil
		} else {
			var err error
			w, err = c.store.GetWorkloadEndpoint(ctx, k)
			if errors.Is(err, datastore.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading WorkloadEndpoint %s/%s: %w", k.Namespace, k.Name, err)
			}
		}
		if id := w.Value.Spec.ContainerID; id != "" && id != c.args.ContainerID {
			slog.Info("keeping the WorkloadEndpoint of a newer sandbox", "wep", k.Name, "owner", id)
			return nil
		}
		if uid := c.podUID(); uid != "" && w.Value.Metadata.UID != "" && uid != w.Value.Metadata.UID {
			slog.Info("keeping the WorkloadEndpoint of a newer pod of the same name", "wep", k.Name, "uid", w.Value.Metadata.UID)
			return nil
		}
		err := c.store.DeleteWorkloadEndpoint(ctx, k, w.Rev)
		if err == nil || errors.Is(err, datastore.ErrNotFound) {
			return nil
		}
		if !errors.Is(err, datastore.ErrConflict) {
			return fmt.Errorf("deleting WorkloadEndpoint %s/%s: %w", k.Namespace, k.Name, err)
		}
	}
	return fmt.Errorf("deleting WorkloadEndpoint %s/%s: endpoint was modified before it could be deleted", k.Namespace, k.Name)
}

// podUID is, on the Kubernetes datastore, the UID of the pod instance this
// sandbox belongs to: K8S_POD_UID, else the pod this call read.
func (c *call) podUID() string {
	if datastoreOf(c.nc) != datastoreKubernetes {
		return ""
	}
	if uid := string(c.cargs.K8S_POD_UID); uid != "" {
		return uid
	}
	if c.pod != nil {
		return c.pod.UID
	}
	return ""
}
