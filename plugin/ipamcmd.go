package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/ipam"
)

// IPAMFuncs are calico-ipam's CNI commands.
var IPAMFuncs = skel.CNIFuncs{Add: ipamAdd, Del: ipamDel, Check: ipamCheck, Status: ipamStatus, GC: ipamGC}

func ipamAdd(args *skel.CmdArgs) error {
	c, err := newIPAMCall("ADD", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	res, _, err := c.assign(datastore.Query{}, nil)
	if err != nil {
		return toCNIError(err)
	}
	return types.PrintResult(res, c.nc.CNIVersion)
}

// assign allocates this container's address and returns calico-ipam's
// result: the address with the block's mask and a route for the block (the
// main plugin derives the HNS subnet from that mask).
func (c *call) assign(extra datastore.Query, prepare func(*datastore.Snapshot, *ipam.Request) error) (*current.Result, *ipam.Assignment, error) {
	res := &current.Result{CNIVersion: current.ImplementedSpecVersion}
	if deref(c.nc.IPAM.AssignIPv4) == "false" {
		return res, nil, nil
	}
	req, err := c.ipamRequest()
	if err != nil {
		return nil, nil, err
	}
	req.Prepare = prepare
	asg, err := c.allocator().Assign(c.ctx, req, extra)
	if err != nil {
		if req.IP.IsValid() && errors.Is(err, ipam.ErrInvalidRequest) {
			return nil, nil, &ArgsError{Msg: "CNI_ARGS IP=" + req.IP.String() + ": " + err.Error()}
		}
		return nil, nil, err
	}
	ipn := net.IPNet{IP: asg.Addr.AsSlice(), Mask: net.CIDRMask(asg.Block.Bits(), 32)}
	res.IPs = []*current.IPConfig{{Address: ipn}}
	res.Routes = []*types.Route{{Dst: ipn}}
	return res, asg, nil
}

func parseIPArg(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !ip.Is4() {
		return netip.Addr{}, &ArgsError{Msg: fmt.Sprintf("CNI_ARGS IP=%q is not an IPv4 address", s)}
	}
	return ip, nil
}

func ipamDel(args *skel.CmdArgs) error {
	c, err := newIPAMCall("DEL", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	handles := append([]string{c.handleID()}, c.legacyHandles()...)
	// Config, Pools and the Node serve the release (see del); the rest
	// completes what the node-local cache serves.
	q := datastore.Query{Handles: c.firstHandles(handles), Config: true, Pools: true, ClusterInfo: true, Reservations: true, Node: c.node}
	q.Blocks = c.hintedBlock() // read with the handles: usually the pod's block
	snap, err := c.store.Read(c.ctx, q)
	if err == nil {
		snap, err = c.withLegacyHandles(snap, handles)
	}
	if err != nil {
		return toCNIError(err)
	}
	if _, err := c.allocator().ReleaseRead(c.ctx, snap, handles...); err != nil {
		return toCNIError(err)
	}
	return nil
}

// ipamCheck verifies that the handle still holds the address of prevResult.
func ipamCheck(args *skel.CmdArgs) error {
	c, err := newIPAMCall("CHECK", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	return toCNIError(c.checkIPAM())
}

func (c *call) checkIPAM() error {
	prev, err := prevResultPrefix(c.nc)
	if err != nil {
		return err
	}
	want := prev.Addr()
	held, err := c.allocator().Addresses(c.ctx, c.handleID())
	if err != nil {
		return err
	}
	for _, a := range held {
		if a == want {
			return nil
		}
	}
	if len(held) == 0 {
		return fmt.Errorf("IPAM handle %s holds no address (prevResult has %s)", c.handleID(), want)
	}
	return fmt.Errorf("IPAM handle %s holds %v, not prevResult's %s", c.handleID(), held, want)
}

// prevResultPrefix returns the first address of prevResult with its mask
// (the block, for calico-ipam).
func prevResultPrefix(nc *NetConf) (netip.Prefix, error) {
	if len(nc.PrevResult) == 0 {
		return netip.Prefix{}, &ConfigError{Key: "prevResult", Reason: "required for CHECK"}
	}
	var pr struct {
		IPs []struct {
			Address string `json:"address"`
		} `json:"ips"`
	}
	if err := json.Unmarshal(nc.PrevResult, &pr); err != nil || len(pr.IPs) == 0 {
		return netip.Prefix{}, &ConfigError{Key: "prevResult", Reason: "has no ips"}
	}
	p, err := netip.ParsePrefix(pr.IPs[0].Address)
	if err != nil {
		return netip.Prefix{}, &ConfigError{Key: "prevResult.ips[0].address", Value: pr.IPs[0].Address, Reason: "not a CIDR"}
	}
	return p, nil
}

// ipamStatus reports whether an ADD could succeed now: the datastore answers,
// the IPAM configuration allows this node, and a pool is usable.
func ipamStatus(args *skel.CmdArgs) error {
	c, err := newIPAMCall("STATUS", args)
	if err != nil {
		return statusError(err)
	}
	defer c.close()
	return statusError(c.allocator().Ready(c.ctx, c.nc.IPAM.IPv4Pools))
}

// statusError maps a failure to STATUS's codes: 51 when existing pods are
// affected too (their HNS network is gone), 50 otherwise (cannot serve ADD
// now), a config that ADD refuses included: its message names the key.
func statusError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errNetworkGone) {
		return types.NewError(CodeDegraded, err.Error(), "")
	}
	return types.NewError(CodeNotAvailable, err.Error(), "")
}

// errNetworkGone: the HNS network the node's pods are on does not exist.
var errNetworkGone = errors.New("the node's HNS network is gone: existing pods have no connectivity")

// ipamGC releases this node's handles of this network whose containers are
// not in cni.dev/valid-attachments (see handleContainer for what counts as
// this network's). Without that key it releases nothing: an absent list is
// no information, not an empty one.
func ipamGC(args *skel.CmdArgs) error {
	c, err := newIPAMCall("GC", args)
	if err != nil {
		return toCNIError(err)
	}
	defer c.close()
	if c.nc.ValidAttachments == nil {
		return nil
	}
	if err := c.checkReady(); err != nil {
		return toCNIError(err)
	}
	keep := map[string]bool{}
	for _, a := range *c.nc.ValidAttachments {
		keep[a.ContainerID] = true
	}
	_, err = c.allocator().GC(c.ctx, func(handle string, _ map[string]string) bool {
		cid, ok := c.handleContainer(handle)
		return ok && !keep[cid]
	})
	return toCNIError(err)
}
