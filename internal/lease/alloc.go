package lease

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Range is an inclusive range of IPv4 addresses that the Allocator may hand out.
type Range struct{ First, Last netip.Addr }

func (r Range) contains(a netip.Addr) bool { return !a.Less(r.First) && !r.Last.Less(a) }

// Allocator chooses addresses for clients and records leases through a
// Store. It mirrors the store's leases in memory so that a choice costs no
// store round trip; the store still has the last word at Commit, so a
// mirror that is behind (another pxed sharing the store) costs a retry,
// never a duplicate address.
type Allocator struct {
	store     Store
	now       func() time.Time
	offerHold time.Duration

	mu       sync.Mutex
	leases   map[netip.Addr]Lease
	byClient map[string]netip.Addr
	offers   map[netip.Addr]offer
	cursor   map[Range]netip.Addr
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
		leases:   make(map[netip.Addr]Lease, len(all)),
		byClient: make(map[string]netip.Addr, len(all)),
		offers:   map[netip.Addr]offer{},
		cursor:   map[Range]netip.Addr{},
	}
	for _, l := range all {
		a.record(l)
	}
	return a, nil
}

func (a *Allocator) record(l Lease) {
	if prev, ok := a.leases[l.IP]; ok {
		if k := prev.Client().Key(); a.byClient[k] == l.IP && !prev.Holds(l.Client()) {
			delete(a.byClient, k)
		}
	}
	a.leases[l.IP] = l
	a.byClient[l.Client().Key()] = l.IP
}

// Lookup returns the last lease recorded for client c, in any state.
func (a *Allocator) Lookup(c Client) (Lease, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ip, ok := a.byClient[c.Key()]
	if !ok {
		return Lease{}, false
	}
	l, ok := a.leases[ip]
	return l, ok && l.Holds(c)
}

// Get returns the lease recorded for ip.
func (a *Allocator) Get(ip netip.Addr) (Lease, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.leases[ip]
	return l, ok
}

// Available reports whether ip may go to client c now: no other client holds
// it, and it is not on offer to another client.
func (a *Allocator) Available(ip netip.Addr, c Client) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.availableLocked(ip, c.Key(), c, a.now())
}

func (a *Allocator) availableLocked(ip netip.Addr, key string, c Client, now time.Time) bool {
	if l, ok := a.leases[ip]; ok && l.Active(now) && !l.Holds(c) {
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
// previous address, then the address it asked for, then a free one.
func (a *Allocator) Offer(c Client, pools []Range, requested netip.Addr) (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now, key := a.now(), c.Key()
	inPools := func(ip netip.Addr) bool {
		for _, r := range pools {
			if r.contains(ip) {
				return true
			}
		}
		return false
	}
	choose := func(ip netip.Addr) netip.Addr {
		a.offers[ip] = offer{client: key, until: now.Add(a.offerHold)}
		return ip
	}
	if ip, ok := a.byClient[key]; ok && inPools(ip) {
		if l := a.leases[ip]; l.Holds(c) && l.State != Declined && a.availableLocked(ip, key, c, now) {
			return choose(ip), nil
		}
	}
	if requested.Is4() && inPools(requested) && a.availableLocked(requested, key, c, now) {
		if l, ok := a.leases[requested]; !ok || l.Holds(c) || !l.Active(now) {
			return choose(requested), nil
		}
	}
	// First an address nobody has held (so that returning clients keep
	// theirs), then one whose lease has ended.
	for _, fresh := range []bool{true, false} {
		for _, r := range pools {
			if ip, ok := a.scan(r, key, c, now, fresh); ok {
				return choose(ip), nil
			}
		}
	}
	return netip.Addr{}, ErrExhausted
}

// scan walks r once from its cursor, wrapping around, for a usable address.
func (a *Allocator) scan(r Range, key string, c Client, now time.Time, fresh bool) (netip.Addr, bool) {
	start, ok := a.cursor[r]
	if !ok || !r.contains(start) {
		start = r.First
	}
	ip := start
	for {
		l, held := a.leases[ip]
		usable := a.availableLocked(ip, key, c, now) && (!held || (!fresh && !l.Active(now)))
		next := ip.Next()
		if !r.contains(next) {
			next = r.First
		}
		if usable {
			a.cursor[r] = next
			return ip, true
		}
		ip = next
		if ip == start {
			return netip.Addr{}, false
		}
	}
}

// Withdraw forgets an offer made to client c (it chose another server).
func (a *Allocator) Withdraw(c Client) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := c.Key()
	for ip, o := range a.offers {
		if o.client == key {
			delete(a.offers, ip)
		}
	}
}

// Commit records l durably through the store and then in the mirror. The
// store refuses an address held by another client (ErrConflict); the mirror
// then learns the store's view of that address.
func (a *Allocator) Commit(ctx context.Context, l Lease) error {
	err := a.store.Commit(ctx, l)
	if errors.Is(err, ErrConflict) {
		if cur, ok, gerr := a.store.Get(ctx, l.IP); gerr == nil && ok {
			a.mu.Lock()
			a.record(cur)
			a.mu.Unlock()
		}
		return err
	}
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.record(l)
	if o, ok := a.offers[l.IP]; ok && o.client == l.Client().Key() {
		delete(a.offers, l.IP)
	}
	a.mu.Unlock()
	return nil
}

// Prune drops offers that have lapsed; call it now and then.
func (a *Allocator) Prune() {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for ip, o := range a.offers {
		if !now.Before(o.until) {
			delete(a.offers, ip)
		}
	}
}
