package ipam

import "net/netip"

// Candidates returns the first n blocks of Calico's walk for host (tests).
func Candidates(pool netip.Prefix, bits int, host string, n int) []netip.Prefix {
	var out []netip.Prefix
	blockCandidates(pool, bits, host, func(p netip.Prefix) bool { out = append(out, p); return len(out) < n })
	return out
}
