// Package ipam is Calico's block IPAM with Windows semantics, over the small
// datastore.IPAMStore interface: blocks affine to a node under strict
// affinity, the four reserved ordinals of every Windows block, handles
// "<network>.<containerID>", FIFO reuse, sequence numbers. The functions in
// this file work on plain values; allocator.go adds the datastore round trips.
//
// It must not import plugin, hns or any datastore backend.
package ipam

import (
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/calico-win/cni/datastore"
)

// Windows reserves the network address, the gateway (.1, also the VXLAN
// tunnel address), the host endpoint (.2) and the broadcast address of every
// block: three at the start and one at the end.
const (
	reservedAtStart = 3
	reservedAtEnd   = 1
	// MaxWindowsPrefix is the smallest block (largest prefix) that leaves room
	// for a pod beside the reservations.
	MaxWindowsPrefix = 29
)

// blockSize is the number of addresses in a block.
func blockSize(cidr netip.Prefix) int { return 1 << (cidr.Addr().BitLen() - cidr.Bits()) }

// isWindowsReserved reports whether ordinal ord of a block of n addresses is
// one of the Windows reservations.
func isWindowsReserved(ord, n int) bool {
	return ord < reservedAtStart || ord >= n-reservedAtEnd
}

// ordinalOf returns the ordinal of addr in cidr.
func ordinalOf(cidr netip.Prefix, addr netip.Addr) (int, error) {
	if !cidr.Contains(addr) || !addr.Is4() {
		return 0, fmt.Errorf("IP %s not in block %s", addr, cidr)
	}
	b, base := addr.As4(), cidr.Masked().Addr().As4()
	return int(be32(b) - be32(base)), nil
}

// addrOf returns the address at ordinal ord of cidr.
func addrOf(cidr netip.Prefix, ord int) netip.Addr {
	base := cidr.Masked().Addr().As4()
	v := be32(base) + uint32(ord)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func be32(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func ptr[T any](v T) *T { return &v }

// newBlock returns a fresh block affine to host, as Calico's newBlock writes
// it with the Windows HostReservedAttr: ordinals 0, 1, 2 and the last share
// one attribute under windows-reserved-ipam-handle, have no sequence number,
// and are left out of the free list.
func newBlock(cidr netip.Prefix, host string, now time.Time) datastore.Block {
	n := blockSize(cidr)
	b := datastore.Block{
		CIDR:                        cidr.Masked(),
		Affinity:                    ptr("host:" + host),
		AffinityClaimTime:           &datastore.ClaimTime{Time: now.UTC().Truncate(time.Second)},
		Allocations:                 make([]*int, n),
		Unallocated:                 make([]int, 0, n),
		SequenceNumber:              uint64(now.UnixNano()),
		SequenceNumberForAllocation: map[string]uint64{},
	}
	reserved := -1
	for ord := 0; ord < n; ord++ {
		if !isWindowsReserved(ord, n) {
			b.Unallocated = append(b.Unallocated, ord)
			continue
		}
		if reserved < 0 {
			reserved = len(b.Attributes)
			b.Attributes = append(b.Attributes, datastore.Attribute{
				HandleID:  ptr(datastore.WindowsReservedHandle),
				Secondary: map[string]string{"note": datastore.WindowsReservedNote},
			})
		}
		b.Allocations[ord] = ptr(reserved)
	}
	return b
}

// reservedFn reports addresses an IPReservation keeps out of IPAM (nil: none).
type reservedFn func(netip.Addr) bool

// usable reports whether ordinal ord of b may be handed out now.
func usable(b *datastore.Block, ord int, reserved reservedFn) bool {
	return !isWindowsReserved(ord, len(b.Allocations)) && b.Allocations[ord] == nil &&
		(reserved == nil || !reserved(addrOf(b.CIDR, ord)))
}

// freeCount is how many ordinals of b can still be handed out.
func freeCount(b *datastore.Block, reserved reservedFn) int {
	c := 0
	for _, ord := range b.Unallocated {
		if usable(b, ord, reserved) {
			c++
		}
	}
	return c
}

// attributeIndex returns the index of an attribute equal to a, appending it
// if there is none (Calico's findOrAddAttribute).
func attributeIndex(b *datastore.Block, a datastore.Attribute) int {
	for i := range b.Attributes {
		if reflect.DeepEqual(b.Attributes[i], a) {
			return i
		}
	}
	b.Attributes = append(b.Attributes, a)
	return len(b.Attributes) - 1
}

// allocate takes the first usable ordinal from the head of the free list (or
// the ordinal want, when it is valid), records attr and the sequence number,
// and returns the address. Addresses an IPReservation holds are skipped and
// stay where they are in the free list. It changes b in place; the caller
// writes it.
func allocate(b *datastore.Block, attr datastore.Attribute, want *netip.Addr, reserved reservedFn) (netip.Addr, error) {
	n := len(b.Allocations)
	pos := -1
	if want != nil {
		ord, err := ordinalOf(b.CIDR, *want)
		if err != nil {
			return netip.Addr{}, err
		}
		if isWindowsReserved(ord, n) {
			return netip.Addr{}, fmt.Errorf("IP %s is reserved on Windows (network, gateway, host endpoint or broadcast address of block %s)", *want, b.CIDR)
		}
		if reserved != nil && reserved(*want) {
			return netip.Addr{}, fmt.Errorf("IP %s is reserved by an IPReservation", *want)
		}
		for i, o := range b.Unallocated {
			if o == ord {
				pos = i
				break
			}
		}
		if pos < 0 || b.Allocations[ord] != nil {
			return netip.Addr{}, fmt.Errorf("IP %s is already in use", *want)
		}
	} else {
		for i, o := range b.Unallocated {
			if usable(b, o, reserved) {
				pos = i
				break
			}
		}
		if pos < 0 {
			return netip.Addr{}, fmt.Errorf("block %s is full", b.CIDR)
		}
	}
	ord := b.Unallocated[pos]
	b.Unallocated = append(b.Unallocated[:pos:pos], b.Unallocated[pos+1:]...)
	b.Allocations[ord] = ptr(attributeIndex(b, attr))
	if b.SequenceNumberForAllocation == nil {
		b.SequenceNumberForAllocation = map[string]uint64{}
	}
	b.SequenceNumberForAllocation[strconv.Itoa(ord)] = b.SequenceNumber
	b.SequenceNumber++
	return addrOf(b.CIDR, ord), nil
}

// addrsOf returns the addresses handle holds in b.
func addrsOf(b *datastore.Block, handle string) []netip.Addr {
	var out []netip.Addr
	for ord, ai := range b.Allocations {
		if ai != nil && *ai < len(b.Attributes) {
			if h := b.Attributes[*ai].HandleID; h != nil && *h == handle {
				out = append(out, addrOf(b.CIDR, ord))
			}
		}
	}
	return out
}

// release frees every ordinal held by handle, as Calico's releaseByHandle
// does: the ordinals first point at one new attribute that records only
// releasedAt (the cooldown), then garbageCollect returns those whose
// cooldown is over (all of them when cooldown is 0) to the tail of the free
// list. The sequence number is bumped, as every Calico block write does.
// It returns how many addresses were released.
func release(b *datastore.Block, handle string, now time.Time, cooldown int) int {
	cool := -1
	freed := 0
	for ord, ai := range b.Allocations {
		if ai == nil || *ai >= len(b.Attributes) {
			continue
		}
		if h := b.Attributes[*ai].HandleID; h != nil && *h == handle {
			if cool < 0 {
				cool = len(b.Attributes)
				b.Attributes = append(b.Attributes, datastore.Attribute{ReleasedAt: &datastore.ClaimTime{Time: now.UTC()}})
			}
			b.Allocations[ord] = ptr(cool)
			freed++
		}
	}
	if freed == 0 {
		return 0
	}
	garbageCollect(b, cooldown, now)
	b.SequenceNumber++
	return freed
}

// inCooldown reports whether any address of b is in cooldown.
func inCooldown(b *datastore.Block) bool {
	for _, a := range b.Attributes {
		if a.ReleasedAt != nil {
			return true
		}
	}
	return false
}

// garbageCollect is Calico's allocationBlock.garbageCollect: ordinals whose
// cooldown (releasedAt) is over are freed, to the tail of the free list in
// ordinal order, and attributes nothing refers to any more are dropped,
// renumbering the allocations. It reports whether b changed. Calico runs it
// on every block it reads, so expired entries, also those other Calico
// components left, go with the next write of the block.
func garbageCollect(b *datastore.Block, cooldown int, now time.Time) bool {
	changed := false
	before := now.Add(-time.Duration(cooldown) * time.Second)
	used := make([]bool, len(b.Attributes))
	for ord, ai := range b.Allocations {
		if ai == nil || *ai >= len(b.Attributes) {
			continue
		}
		if r := b.Attributes[*ai].ReleasedAt; r != nil && (cooldown <= 0 || r.Before(before)) {
			b.Allocations[ord] = nil
			b.Unallocated = append(b.Unallocated, ord)
			delete(b.SequenceNumberForAllocation, strconv.Itoa(ord))
			changed = true
			continue
		}
		used[*ai] = true
	}
	renum := make([]int, len(b.Attributes))
	kept := make([]datastore.Attribute, 0, len(b.Attributes))
	for i, a := range b.Attributes {
		if used[i] {
			renum[i] = len(kept)
			kept = append(kept, a)
		}
	}
	if len(kept) == len(b.Attributes) {
		return changed
	}
	b.Attributes = kept
	for ord, ai := range b.Allocations {
		if ai != nil && *ai < len(renum) {
			b.Allocations[ord] = ptr(renum[*ai])
		}
	}
	return true
}

// isEmpty reports whether b holds nothing but the Windows reservations.
func isEmpty(b *datastore.Block) bool {
	for _, ai := range b.Allocations {
		if ai == nil || *ai >= len(b.Attributes) {
			continue
		}
		h := b.Attributes[*ai].HandleID
		if h == nil || !strings.EqualFold(*h, datastore.WindowsReservedHandle) {
			return false
		}
	}
	return true
}

// hostOf returns the host a block is affine to ("" if none).
func hostOf(b *datastore.Block) string {
	if b.Affinity != nil && strings.HasPrefix(*b.Affinity, "host:") {
		return strings.TrimPrefix(*b.Affinity, "host:")
	}
	return ""
}
