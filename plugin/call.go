package plugin

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/containernetworking/cni/pkg/skel"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/logging"
	"github.com/calico-win/cni/ipam"
)

// call is what every command starts from: the parsed config and args, the
// node, the datastore, and a deadline for the whole call.
type call struct {
	args  *skel.CmdArgs
	nc    *NetConf
	cargs *Args
	node  string
	store datastore.Store
	// pod is the Kubernetes pod of a k8s-orchestrated ADD with policy k8s
	// (labels, service account, ports, pool annotations); nil otherwise.
	pod  *kubePod
	ctx  context.Context
	done func()
	// undoBy is the call's deadline, by which an ADD's undo ends (see
	// reserveUndo); zero outside ADD.
	undoBy time.Time
	// kubeServer is the API server address kept by the node's last call
	// (kubeserver.go).
	kubeServer string
	// finishing is the IPAM sessions' ends (hint stored, host lock
	// released) still running; close waits for them.
	finishing sync.WaitGroup
}

// newCall parses stdin and CNI_ARGS, sets up logging, finds the node name and
// opens the datastore.
func newCall(cmd string, args *skel.CmdArgs) (*call, error) { return openCall(cmd, args, false) }

// newIPAMCall is newCall for calico-ipam, which, like Calico's, never
// requires the nodename file: it takes the node name from the file when
// there is one (Calico's DetermineNodename), so a DEL still releases the
// address while calico-node is down. Only Calico's main plugin waits for
// the file.
func newIPAMCall(cmd string, args *skel.CmdArgs) (*call, error) { return openCall(cmd, args, true) }

func openCall(cmd string, args *skel.CmdArgs, ipamOnly bool) (*call, error) {
	nc, err := ParseNetConf(args.StdinData)
	if err != nil {
		return nil, err
	}
	if ipamOnly {
		nc.NodenameFileOptional = true
	}
	var kubeServer string
	if datastoreOf(nc) == datastoreKubernetes {
		kubeServer = predialKubeServer(nc)
		// The API client (its kubeconfig parsed, its TLS handshake started)
		// is made while this call sets itself up: openKDD then finds it made,
		// or waits for it. One that fails is not kept, so openKDD makes it
		// again and reports why.
		go kubeClient(nc)
	}
	cargs, err := parseArgs(args.Args)
	if err != nil {
		return nil, err
	}
	attrs := []any{"cmd", cmd, "containerID", args.ContainerID}
	if cargs.k8s() {
		attrs = append(attrs, "pod", string(cargs.K8S_POD_NAMESPACE)+"/"+string(cargs.K8S_POD_NAME))
	}
	closeLog, lerr := logging.Setup(logging.Options{
		Level: nc.LogLevel, FilePath: nc.LogFilePath, MaxSize: nc.LogFileMaxSize,
		MaxAge: nc.LogFileMaxAge, MaxCount: nc.LogFileMaxCount,
	}, os.Stderr, attrs...)
	if lerr != nil {
		slog.Warn("cannot open the log file; logging to stderr only", "path", nc.LogFilePath, "err", lerr)
	}
	c := &call{args: args, nc: nc, cargs: cargs, kubeServer: kubeServer}
	c.ctx, c.done = context.WithTimeout(context.Background(), datastoreTimeout)
	prevDone := c.done
	c.done = func() { prevDone(); closeLog() }
	if err := prepareState(nc); err != nil {
		c.close()
		return nil, err
	}
	if c.node, err = nodename(nc); err != nil {
		c.close()
		return nil, err
	}
	if c.store, err = openStore(nc); err != nil {
		c.close()
		return nil, err
	}
	if datastoreOf(nc) == datastoreKubernetes {
		cs := newCachedStore(c.store, nc, c.node)
		cs.freshReady = cmd != "ADD" // only an ADD may trust a ClusterInformation read in the last few seconds
		c.store = cs
	}
	return c, nil
}

func (c *call) close() {
	c.finishing.Wait()
	if datastoreOf(c.nc) == datastoreKubernetes {
		keepKubeServer(c.nc, c.kubeServer)
	}
	if c.store != nil {
		c.store.Close()
	}
	c.done()
}

// handleID is Calico's IPAM handle for this container: "<network>.<containerID>".
func (c *call) handleID() string { return c.nc.Name + "." + c.args.ContainerID }

// legacyHandles are the handles older Calico versions used, released on DEL
// too: "<namespace>.<pod>" for Kubernetes, the bare container ID otherwise.
func (c *call) legacyHandles() []string {
	if c.cargs.k8s() {
		return []string{string(c.cargs.K8S_POD_NAMESPACE) + "." + string(c.cargs.K8S_POD_NAME)}
	}
	return []string{c.args.ContainerID}
}

func (c *call) allocator() *ipam.Allocator {
	return &ipam.Allocator{Store: c.store, Host: c.node, Lock: hostLock(c.nc), Hint: newFileHint(c.nc, c.node),
		CopyBlock: c.perObjectReads(), Finish: func(f func()) { c.finishing.Go(f) }}
}

// perObjectReads: the datastore answers each object read with a request of
// its own (the Kubernetes datastore), rather than many in one transaction
// (etcd). There the node keeps a copy of its current block, which stands in
// for reading it (ipam.Allocator.CopyBlock), and a DEL reads less up front
// (delreads.go).
func (c *call) perObjectReads() bool { return datastoreOf(c.nc) == datastoreKubernetes }

// hintedBlock is the block a DEL should read with its first read: the
// node's current block, unless the allocator has a copy of it.
func (c *call) hintedBlock() []netip.Prefix {
	h := newFileHint(c.nc, c.node).Load()
	if !h.CIDR.IsValid() || (h.Block.Rev != "" && c.perObjectReads()) {
		return nil
	}
	return []netip.Prefix{h.CIDR}
}

// applyPod adds what the pod says to an IPAM request: Calico writes the
// pod's (or namespace's) pool annotation into ipam.ipv4_pools, where it wins
// over the conf.
func applyPod(req *ipam.Request, pod *kubePod) {
	if pod == nil {
		return
	}
	if len(pod.IPv4Pools) > 0 {
		req.Pools = pod.IPv4Pools
	}
	req.NamespaceLabels = pod.NamespaceLabels
}

// ipamRequest builds the IPAM request of an ADD.
func (c *call) ipamRequest() (ipam.Request, error) {
	attrs := map[string]string{"node": c.node}
	if c.cargs.k8s() {
		attrs["namespace"] = string(c.cargs.K8S_POD_NAMESPACE)
		attrs["pod"] = string(c.cargs.K8S_POD_NAME)
	}
	req := ipam.Request{HandleID: c.handleID(), Attrs: attrs, Pools: c.nc.IPAM.IPv4Pools}
	if c.nc.WindowsUseSingleNetwork {
		req.MaxBlocks = 1
	}
	if s := string(c.cargs.IP); s != "" {
		ip, err := parseIPArg(s)
		if err != nil {
			return req, err
		}
		req.IP = ip
	}
	return req, nil
}
