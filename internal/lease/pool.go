package lease

import (
	"container/heap"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"time"
)

// pool is the Allocator's index of one Range, so that finding an address
// costs about the same whether the range is empty or nearly full (a /16 with
// 50,000 clients):
//
//   - used has a bit per address that has a lease record or an offer; a
//     fresh address (never held, RFC 2131 §4.3.1 prefers those so returning
//     clients keep theirs) is a zero bit. full has a bit per word of used
//     that is all ones, so a search skips 4,096 addresses per summary word.
//   - reclaim has a bit per address whose lease has ended (released, or
//     expired): the second choice once no fresh address is left.
//   - ends is a min-heap of the expiry times of active leases, at most one
//     entry per address (queued marks it); when an entry's time passes, the
//     address moves to reclaim unless its lease was renewed, in which case it
//     goes back into the heap at its new time.
//
// The bits are hints kept in step by Allocator.record and the offer code;
// every candidate is still checked against the lease and offer maps before
// it is chosen, and a stale bit is corrected when found.
//
// An address is an offset from the range's first address: a uint32, as a
// Range holds at most MaxRangeSize addresses. IPv4 ranges keep the first
// address as a uint32 (base), IPv6 ones as 128 bits (hi, lo); only the
// conversions between offsets and addresses look at the family.
//
// Memory: 3 bits per address plus 16 bytes per active lease in the heap.
type pool struct {
	r        Range
	v6       bool
	base     uint32 // IPv4: r.First
	hi, lo   uint64 // IPv6: r.First
	n        uint32 // addresses in r
	used     []uint64
	full     []uint64
	reclaim  []uint64
	queued   []uint64
	ends     endHeap
	cursor   uint32 // where the next fresh search starts
	rcursor  uint32 // where the next reclaim search starts
	nused    uint32 // set bits in used, padding included
	nreclaim uint32 // set bits in reclaim
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addrOf(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// u128 returns the IPv6 address a as two halves, high first.
func u128(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func addrOf6(hi, lo uint64) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// newPool indexes r, which must pass r.Check.
func newPool(r Range) *pool {
	size, _ := r.size()
	n := uint32(size)
	words := (n + 63) / 64
	p := &pool{
		r: r, n: n,
		used:    make([]uint64, words),
		full:    make([]uint64, (words+63)/64),
		reclaim: make([]uint64, words),
		queued:  make([]uint64, words),
	}
	if r.First.Is4() {
		p.base = u32(r.First)
	} else {
		p.v6 = true
		p.hi, p.lo = u128(r.First)
	}
	// Bits past the end of the range are "used" so that no search returns them.
	for i := n; i < words*64; i++ {
		p.setUsed(i)
	}
	return p
}

// index returns a's offset in the range.
func (p *pool) index(a netip.Addr) (uint32, bool) {
	// Contains is false for an address of the other family.
	if !p.r.Contains(a) {
		return 0, false
	}
	if !p.v6 {
		return u32(a) - p.base, true
	}
	// a is within 2^32 of the first address: the low halves' difference,
	// modulo 2^64, is the offset even when the range crosses a multiple
	// of 2^64.
	_, lo := u128(a)
	return uint32(lo - p.lo), true
}

func (p *pool) addr(i uint32) netip.Addr {
	if !p.v6 {
		return addrOf(p.base + i)
	}
	lo, carry := bits.Add64(p.lo, uint64(i), 0)
	return addrOf6(p.hi+carry, lo)
}

func getBit(b []uint64, i uint32) bool { return b[i/64]&(1<<(i%64)) != 0 }
func setBit(b []uint64, i uint32)      { b[i/64] |= 1 << (i % 64) }
func clearBit(b []uint64, i uint32)    { b[i/64] &^= 1 << (i % 64) }

func (p *pool) setUsed(i uint32) {
	w, b := i/64, uint64(1)<<(i%64)
	if p.used[w]&b != 0 {
		return
	}
	p.used[w] |= b
	p.nused++
	if p.used[w] == ^uint64(0) {
		setBit(p.full, w)
	}
}

func (p *pool) clearUsed(i uint32) {
	w, b := i/64, uint64(1)<<(i%64)
	if p.used[w]&b == 0 {
		return
	}
	p.used[w] &^= b
	p.nused--
	clearBit(p.full, w)
}

func (p *pool) setReclaim(i uint32) {
	if !getBit(p.reclaim, i) {
		setBit(p.reclaim, i)
		p.nreclaim++
	}
}

func (p *pool) clearReclaim(i uint32) {
	if getBit(p.reclaim, i) {
		clearBit(p.reclaim, i)
		p.nreclaim--
	}
}

// nextFresh returns the first address at or after the cursor (wrapping)
// whose used bit is clear. It skips 64 full words (4,096 addresses) per
// summary word, and returns at once when the range is used up.
func (p *pool) nextFresh() (uint32, bool) {
	words := uint32(len(p.used))
	if p.nused >= words*64 {
		return 0, false
	}
	w := p.cursor / 64
	mask := ^uint64(0) << (p.cursor % 64)
	for seen := uint32(0); seen <= words; {
		if w%64 == 0 && p.full[w/64] == ^uint64(0) {
			seen, w, mask = seen+64, w+64, ^uint64(0)
			if w >= words {
				w = 0
			}
			continue
		}
		if free := ^p.used[w] & mask; free != 0 {
			return w*64 + uint32(bits.TrailingZeros64(free)), true
		}
		seen, w, mask = seen+1, w+1, ^uint64(0)
		if w == words {
			w = 0
		}
	}
	return 0, false
}

// nextReclaim returns the first address at or after rcursor (wrapping) whose
// reclaim bit is set; at once when there is none.
func (p *pool) nextReclaim() (uint32, bool) {
	if p.nreclaim == 0 {
		return 0, false
	}
	words := uint32(len(p.reclaim))
	w := p.rcursor / 64
	mask := ^uint64(0) << (p.rcursor % 64)
	for seen := uint32(0); seen <= words; seen++ {
		if set := p.reclaim[w] & mask; set != 0 {
			return w*64 + uint32(bits.TrailingZeros64(set)), true
		}
		w, mask = w+1, ^uint64(0)
		if w == words {
			w = 0
		}
	}
	return 0, false
}

// queue puts i in the expiry heap unless it is there already.
func (p *pool) queue(i uint32, expires time.Time) {
	if getBit(p.queued, i) {
		return
	}
	setBit(p.queued, i)
	heap.Push(&p.ends, end{at: expires.UnixNano(), i: i})
}

type end struct {
	at int64 // unix ns
	i  uint32
}

type endHeap []end

func (h endHeap) Len() int           { return len(h) }
func (h endHeap) Less(a, b int) bool { return h[a].at < h[b].at }
func (h endHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *endHeap) Push(x any)        { *h = append(*h, x.(end)) }
func (h *endHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
