package ipam

import (
	"hash/fnv"
	"math/big"
	"math/rand"
	"net/netip"
)

// blockCandidates walks the block CIDRs of pool in Calico's order
// (randomBlockGenerator): it starts at an index drawn from math/rand seeded
// with the FNV-32 hash of the host name, walks upwards and wraps around,
// visiting every block once. Matching Calico's walk means a node claims the
// same first block under either implementation. yield returning false stops.
func blockCandidates(pool netip.Prefix, blockBits int, host string, yield func(netip.Prefix) bool) {
	pool = pool.Masked()
	if blockBits < pool.Bits() || blockBits > 32 {
		return
	}
	numBlocks := int64(1) << (blockBits - pool.Bits())
	h := fnv.New32()
	h.Write([]byte(host))
	rnd := rand.New(rand.NewSource(int64(h.Sum32())))
	start := new(big.Int).Rand(rnd, big.NewInt(numBlocks)).Int64()
	base := be32(pool.Addr().As4())
	step := uint32(1) << (32 - blockBits)
	for n := int64(0); n < numBlocks; n++ {
		i := (start + n) % numBlocks
		v := base + uint32(i)*step
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		if !yield(netip.PrefixFrom(a, blockBits)) {
			return
		}
	}
}
