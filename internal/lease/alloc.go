package lease

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"sync"
	"time"
)

// Range is an inclusive range of IPv4 or IPv6 addresses that the Allocator
// may hand out: a pool. config.Range is its YAML form.
type Range struct{ First, Last netip.Addr }

// Contains reports whether a lies in the range. An address of the other
// family never does (netip orders all IPv4 addresses before IPv6 ones).
func (r Range) Contains(a netip.Addr) bool { return !a.Less(r.First) && !r.Last.Less(a) }

// MaxRangeSize is the most addresses one Range may hold. The Allocator keeps
// three bits per address of a pool (see pool), so a pool of 2^24 addresses
// (a /8 of IPv4, a /104 of IPv6) costs 6 MiB, built on its first Offer; an
// IPv6 /64 would cost 2^63 bytes. 2^24 is more clients than one link
// serves, and larger IPv4 pools than a /8 are not configured in practice.
const MaxRangeSize = 1 << 24

// Check reports why r cannot be a pool: an address missing, First and Last
// of different families or in the wrong order, or more than MaxRangeSize
// addresses. The error reads after the range: "pool 10.0.0.0-12.0.0.0 holds
// more than…".
func (r Range) Check() error {
	switch {
	case !r.First.IsValid() || !r.Last.IsValid():
		return errors.New("has no first or last address")
	case r.First.Is4() != r.Last.Is4():
		return errors.New("mixes IPv4 and IPv6")
	case r.Last.Less(r.First):
		return errors.New("ends before it starts")
	}
	if n, ok := r.size(); !ok || n > MaxRangeSize {
		return fmt.Errorf("holds more than %d addresses, the most one pool may hold: split it or make it smaller", MaxRangeSize)
	}
	return nil
}

// size returns the number of addresses in r; ok is false when that is 2^64
// or more, or r is not a range of one family in order.
func (r Range) size() (n uint64, ok bool) {
	if !r.First.IsValid() || !r.Last.IsValid() || r.First.Is4() != r.Last.Is4() || r.Last.Less(r.First) {
		return 0, false
	}
	if r.First.Is4() {
		return uint64(u32(r.Last)-u32(r.First)) + 1, true
	}
	fh, fl := u128(r.First)
	lh, ll := u128(r.Last)
	d, borrow := bits.Sub64(ll, fl, 0)
	if lh-fh-borrow != 0 || d == ^uint64(0) {
		return 0, false
	}
	return d + 1, true
}

// InRanges reports whether a lies in one of rs.
func InRanges(rs []Range, a netip.Addr) bool {
	for _, r := range rs {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// Allocator chooses addresses for clients and records leases through a
// Store. It mirrors the store's leases in memory so that a choice costs no
// store round trip; the store still has the last word at Commit, so a
// mirror that is behind (another pxed sharing the store) costs a retry,
// never a duplicate address.
//
// Every operation costs about the same however many leases there are: the
// maps are indexed by address and by client, and each pool range has bitmaps
// of used and reclaimable addresses (see pool) instead of a scan.
type Allocator struct {
	// Spread, when not zero, makes the searches of each pool start at an
	// address derived from it rather than at the pool's first. pxed
	// instances sharing a store, each with its own Spread, then walk the
	// pools from different places and seldom offer one address to two
	// clients: a collision costs the losing client a NAK and a new
	// DISCOVER. Set it before the first Offer.
	Spread uint64

	store     Store
	now       func() time.Time
	offerHold time.Duration

	mu       sync.Mutex
	leases   map[netip.Addr]stored // read through lease
	byClient map[string]netip.Addr
	offers   map[netip.Addr]offer
	offerBy  map[string]netip.Addr // client key → its offer
	pools    map[Range]*pool
}

type offer struct {
	client string
	until  time.Time
}

// NewAllocator loads the store's leases into a new Allocator. An offered
// address is kept for its client for offerHold.
func NewAllocator(ctx context.Context, s Store, now func() time.Time, offerHold time.Duration) (*Allocator, error) {
	all, err := s.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading leases: %w", err)
	}
	a := &Allocator{
		store: s, now: now, offerHold: offerHold,
		leases:   make(map[netip.Addr]stored, len(all)),
		byClient: make(map[string]netip.Addr, len(all)),
		offers:   map[netip.Addr]offer{},
		offerBy:  map[string]netip.Addr{},
		pools:    map[Range]*pool{},
	}
	for _, l := range all {
		a.record(l)
	}
	return a, nil
}

func (a *Allocator) record(l Lease) {
	if prev, ok := a.lease(l.IP); ok {
		if k := prev.Client().Key(); a.byClient[k] == l.IP && !prev.Holds(l.Client()) {
			delete(a.byClient, k)
		}
	}
	a.leases[l.IP] = storedOf(l)
	a.byClient[l.Client().Key()] = l.IP
	now := a.now()
	for _, p := range a.pools {
		if i, ok := p.index(l.IP); ok {
			p.track(i, l, now)
		}
	}
}

// track brings the bits of address i in line with its lease l.
func (p *pool) track(i uint32, l Lease, now time.Time) {
	p.setUsed(i)
	if l.Active(now) {
		p.clearReclaim(i)
		p.queue(i, l.Expires)
	} else {
		p.setReclaim(i)
	}
}

// pool returns the index of r, building it from the mirror the first time;
// nil when r cannot be a pool (Range.Check), so that a bad range costs no
// memory: Offer skips it.
func (a *Allocator) pool(r Range, now time.Time) *pool {
	if p, ok := a.pools[r]; ok {
		return p
	}
	if r.Check() != nil {
		return nil
	}
	p := newPool(r)
	if a.Spread != 0 {
		p.cursor = spreadStart(a.Spread, r, p.n)
		p.rcursor = p.cursor
	}
	for ip, s := range a.leases {
		if i, ok := p.index(ip); ok {
			p.track(i, s.lease(ip), now)
		}
	}
	for ip := range a.offers {
		if i, ok := p.index(ip); ok {
			p.setUsed(i)
		}
	}
	a.pools[r] = p
	return p
}

// spreadStart maps spread and the range to an index of a pool of n
// addresses (splitmix64's finaliser: nearby inputs land far apart).
func spreadStart(spread uint64, r Range, n uint32) uint32 {
	var x uint64
	if r.First.Is4() {
		x = spread ^ uint64(u32(r.First))<<32 ^ uint64(u32(r.Last))
	} else {
		fh, fl := u128(r.First)
		lh, ll := u128(r.Last)
		x = spread ^ fh ^ fl<<32 ^ lh>>32 ^ ll
	}
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return uint32(x % uint64(n))
}

// Lookup returns the last lease recorded for client c, in any state.
func (a *Allocator) Lookup(c Client) (Lease, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ip, ok := a.byClient[c.Key()]
	if !ok {
		return Lease{}, false
	}
	l, ok := a.lease(ip)
	return l, ok && l.Holds(c)
}

// Get returns the lease recorded for ip.
func (a *Allocator) Get(ip netip.Addr) (Lease, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lease(ip)
}

// lease is the lease recorded for ip in the mirror, whose map holds it
// compact (stored).
func (a *Allocator) lease(ip netip.Addr) (Lease, bool) {
	s, ok := a.leases[ip]
	if !ok {
		return Lease{}, false
	}
	return s.lease(ip), true
}

// Available reports whether ip may go to client c now: no other client holds
// it, and it is not on offer to another client.
func (a *Allocator) Available(ip netip.Addr, c Client) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.availableLocked(ip, c.Key(), c, a.now())
}

func (a *Allocator) availableLocked(ip netip.Addr, key string, c Client, now time.Time) bool {
	if l, ok := a.lease(ip); ok && l.Active(now) && !l.Holds(c) {
		return false
	}
	if o, ok := a.offers[ip]; ok && o.client != key && now.Before(o.until) {
		return false
	}
	return true
}

// ErrExhausted means no address of the pools is free.
var ErrExhausted = errors.New("no free address in pool")

// Offer chooses a pool address for client c and keeps it for c for the
// offer hold. In the order of RFC 2131 §4.3.1: the client's current or
// previous address, then the address it was offered already, then the
// address it asked for, then a free one.
func (a *Allocator) Offer(c Client, pools []Range, requested netip.Addr) (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now, key := a.now(), c.Key()
	if ip, ok := a.byClient[key]; ok && InRanges(pools, ip) {
		if l, _ := a.lease(ip); l.Holds(c) && l.State != Declined && a.availableLocked(ip, key, c, now) {
			return a.choose(ip, key, now), nil
		}
	}
	if ip, ok := a.offerBy[key]; ok && InRanges(pools, ip) && a.usable(ip, key, c, now, false) {
		return a.choose(ip, key, now), nil
	}
	if requested.IsValid() && InRanges(pools, requested) && a.availableLocked(requested, key, c, now) {
		if l, ok := a.lease(requested); !ok || l.Holds(c) || !l.Active(now) {
			return a.choose(requested, key, now), nil
		}
	}
	// First an address nobody has held (so that returning clients keep
	// theirs), then one whose lease has ended.
	for _, r := range pools {
		if p := a.pool(r, now); p != nil {
			if ip, ok := a.fresh(p, key, c, now); ok {
				return a.choose(ip, key, now), nil
			}
		}
	}
	for _, r := range pools {
		if p := a.pool(r, now); p != nil {
			if ip, ok := a.reclaimed(p, key, c, now); ok {
				return a.choose(ip, key, now), nil
			}
		}
	}
	return netip.Addr{}, ErrExhausted
}

// usable reports whether ip may be offered to c: available, and either
// never held (fresh) or, unless fresh is required, no longer active.
func (a *Allocator) usable(ip netip.Addr, key string, c Client, now time.Time, fresh bool) bool {
	if !a.availableLocked(ip, key, c, now) {
		return false
	}
	l, held := a.lease(ip)
	return !held || (!fresh && (!l.Active(now) || (l.Holds(c) && l.State != Declined)))
}

// fresh finds an address of p nobody has held or been offered.
func (a *Allocator) fresh(p *pool, key string, c Client, now time.Time) (netip.Addr, bool) {
	for {
		i, ok := p.nextFresh()
		if !ok {
			return netip.Addr{}, false
		}
		ip := p.addr(i)
		p.cursor = (i + 1) % p.n
		if a.usable(ip, key, c, now, true) {
			return ip, true
		}
		p.setUsed(i) // a stale bit: the address is held or on offer
	}
}

// reclaimed finds an address of p whose lease has ended, first moving the
// leases whose time has passed from the expiry heap to the reclaim bits.
func (a *Allocator) reclaimed(p *pool, key string, c Client, now time.Time) (netip.Addr, bool) {
	a.expire(p, now)
	for {
		i, ok := p.nextReclaim()
		if !ok {
			return netip.Addr{}, false
		}
		ip := p.addr(i)
		p.rcursor = (i + 1) % p.n
		p.clearReclaim(i)
		if a.usable(ip, key, c, now, false) {
			return ip, true
		}
		// Renewed, quarantined or on offer to another client: the expiry
		// heap or Prune puts it back when that ends.
	}
}

// expire moves addresses whose leases ended by now from p's heap to its
// reclaim bits; a lease renewed since it was queued is queued again.
func (a *Allocator) expire(p *pool, now time.Time) {
	for len(p.ends) > 0 && p.ends[0].at <= now.UnixNano() {
		e := heap.Pop(&p.ends).(end)
		clearBit(p.queued, e.i)
		l, ok := a.lease(p.addr(e.i))
		switch {
		case !ok:
		case l.Active(now):
			p.queue(e.i, l.Expires)
		default:
			p.setReclaim(e.i)
		}
	}
}

// choose puts ip on offer to the client with key, replacing its earlier offer.
func (a *Allocator) choose(ip netip.Addr, key string, now time.Time) netip.Addr {
	if old, ok := a.offerBy[key]; ok && old != ip {
		a.dropOffer(old)
	}
	if o, ok := a.offers[ip]; ok && o.client != key && a.offerBy[o.client] == ip {
		delete(a.offerBy, o.client) // a lapsed offer to another client
	}
	a.offers[ip] = offer{client: key, until: now.Add(a.offerHold)}
	a.offerBy[key] = ip
	for _, p := range a.pools {
		if i, ok := p.index(ip); ok {
			p.setUsed(i)
			p.clearReclaim(i)
		}
	}
	return ip
}

// dropOffer forgets the offer of ip and gives the address back to its pool:
// fresh again if it has no lease, reclaimable if its lease has ended.
func (a *Allocator) dropOffer(ip netip.Addr) {
	o, ok := a.offers[ip]
	if !ok {
		return
	}
	delete(a.offers, ip)
	if a.offerBy[o.client] == ip {
		delete(a.offerBy, o.client)
	}
	now := a.now()
	l, held := a.lease(ip)
	for _, p := range a.pools {
		i, ok := p.index(ip)
		switch {
		case !ok:
		case !held:
			p.clearUsed(i)
		default:
			p.track(i, l, now)
		}
	}
}

// Withdraw forgets an offer made to client c (it chose another server).
func (a *Allocator) Withdraw(c Client) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ip, ok := a.offerBy[c.Key()]; ok {
		a.dropOffer(ip)
	}
}

// Commit records l durably through the store and then in the mirror. The
// store refuses an address held by another client (ErrConflict); the mirror
// then learns the store's view of that address.
func (a *Allocator) Commit(ctx context.Context, l Lease) error {
	err := a.store.Commit(ctx, l)
	if errors.Is(err, ErrConflict) {
		// Another pxed sharing the store gave the address away since this
		// one offered it: the offer is withdrawn and the address is taken,
		// so the client's next DISCOVER is offered another.
		cur, ok, gerr := a.store.Get(ctx, l.IP)
		a.mu.Lock()
		if gerr == nil && ok {
			a.record(cur)
		}
		if o, held := a.offers[l.IP]; held && o.client == l.Client().Key() {
			a.dropOffer(l.IP)
		}
		a.mu.Unlock()
		return err
	}
	if err != nil {
		return err
	}
	a.mu.Lock()
	if o, ok := a.offers[l.IP]; ok && o.client == l.Client().Key() {
		delete(a.offers, l.IP)
		if a.offerBy[o.client] == l.IP {
			delete(a.offerBy, o.client)
		}
	}
	a.record(l)
	a.mu.Unlock()
	return nil
}

// Observe records a lease that another pxed sharing the store recorded, so
// that this instance's choices follow the store's. An offer of that address
// to a different client is withdrawn: that client's REQUEST would be
// refused by the store, and its next DISCOVER is offered another address.
// Observing a lease the mirror already has changes nothing.
func (a *Allocator) Observe(l Lease) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.record(l)
	if o, ok := a.offers[l.IP]; ok && o.client != l.Client().Key() && l.Active(a.now()) {
		a.dropOffer(l.IP)
	}
}

// Prune drops offers that have lapsed and moves addresses whose leases have
// ended to their pools' reclaimable sets; the DHCP server calls it every 10 s.
func (a *Allocator) Prune() {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for ip, o := range a.offers {
		if !now.Before(o.until) {
			a.dropOffer(ip)
		}
	}
	for _, p := range a.pools {
		a.expire(p, now)
	}
}

// Usage counts the addresses of range r that are in use (an active lease,
// or an offer still held) and free. It walks the leases and offers, so it
// is for a metrics scrape, not for every packet.
func (a *Allocator) Usage(r Range) (inUse, free int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for ip, s := range a.leases {
		if r.Contains(ip) && s.lease(ip).Active(now) {
			inUse++
		}
	}
	for ip, o := range a.offers {
		if r.Contains(ip) && now.Before(o.until) {
			if l, ok := a.lease(ip); !ok || !l.Active(now) {
				inUse++
			}
		}
	}
	size, ok := r.size()
	if !ok || size > math.MaxInt {
		size = math.MaxInt
	}
	return inUse, int(size) - inUse
}
