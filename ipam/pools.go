package ipam

import (
	"fmt"
	"log/slog"
	"net/netip"
	"slices"

	"github.com/calico-win/cni/datastore"
)

// selectPools returns the IPv4 pools host may allocate from, in datastore
// order. requested holds pool names or CIDRs (ipam.ipv4_pools); when it is
// empty every enabled automatic pool whose node selector matches is used.
// Pools whose blocks are smaller than a /29 cannot hold the Windows
// reservations and a pod, and are skipped.
//
// nsLabels are the pod's namespace's labels (nil: unknown, matched as no
// labels, as Calico does); with anyNamespace, namespace selectors are not
// applied (a readiness check, which serves any pod).
func selectPools(all []datastore.IPPool, requested []string, node *datastore.Node, nsLabels map[string]string, anyNamespace bool) ([]datastore.IPPool, error) {
	var out []datastore.IPPool
	if len(requested) > 0 {
		for _, r := range requested {
			i := slices.IndexFunc(all, func(p datastore.IPPool) bool { return p.Name == r || p.CIDR.String() == r })
			if i < 0 {
				if c, err := netip.ParsePrefix(r); err == nil {
					i = slices.IndexFunc(all, func(p datastore.IPPool) bool { return p.CIDR == c.Masked() })
				}
			}
			if i < 0 {
				return nil, fmt.Errorf("the requested IP pool %q does not exist", r)
			}
			p := all[i]
			if p.Disabled {
				return nil, fmt.Errorf("the requested IP pool %q is disabled", r)
			}
			if !p.CIDR.Addr().Is4() {
				return nil, fmt.Errorf("the requested IP pool %q is not an IPv4 pool", r)
			}
			if blockBits(p) > MaxWindowsPrefix {
				return nil, fmt.Errorf("the requested IP pool %q has block size /%d; Windows needs /%d or larger blocks", r, blockBits(p), MaxWindowsPrefix)
			}
			if !allowsWorkload(p) {
				// Calico filters requested pools by use too (filterPoolsByUse).
				return nil, fmt.Errorf("the requested IP pool %q does not allow use by workloads (allowedUses %v)", r, p.AllowedUses)
			}
			out = append(out, p)
		}
		return out, nil
	}
	labels := map[string]string{}
	if node != nil {
		labels = node.Labels
	}
	for _, p := range all {
		if p.Disabled || !p.CIDR.Addr().Is4() || (p.AssignmentMode != "" && p.AssignmentMode != "Automatic") {
			continue
		}
		if !allowsWorkload(p) {
			continue
		}
		if blockBits(p) > MaxWindowsPrefix {
			slog.Warn("skipping IP pool: its blocks are too small for Windows", "pool", p.Name, "blockSize", blockBits(p))
			continue
		}
		sel, err := parseSelector(p.NodeSelector)
		if err != nil {
			return nil, fmt.Errorf("IP pool %s: %w", p.Name, err)
		}
		if !sel(labels) {
			continue
		}
		if p.NamespaceSelector != "" && !anyNamespace {
			// Unknown labels are empty labels, as Calico evaluates a
			// selector without a namespace.
			nsel, err := parseSelector(p.NamespaceSelector)
			if err != nil {
				return nil, fmt.Errorf("IP pool %s: %w", p.Name, err)
			}
			if !nsel(nsLabels) {
				continue
			}
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		name := ""
		if node != nil {
			name = node.Name
		}
		return nil, fmt.Errorf("no configured Calico pools for node %s", name)
	}
	return out, nil
}

// allowsWorkload reports whether pods may take addresses from p (allowedUses
// defaults to Workload and Tunnel).
func allowsWorkload(p datastore.IPPool) bool {
	return len(p.AllowedUses) == 0 || slices.Contains(p.AllowedUses, "Workload")
}

// blockBits is the pool's block prefix length (26 when unset, as Calico defaults it).
func blockBits(p datastore.IPPool) int {
	if p.BlockSize == 0 {
		return 26
	}
	return p.BlockSize
}

// poolOf returns the pool containing addr, if any.
func poolOf(pools []datastore.IPPool, addr netip.Addr) *datastore.IPPool {
	for i := range pools {
		if pools[i].CIDR.Contains(addr) {
			return &pools[i]
		}
	}
	return nil
}
