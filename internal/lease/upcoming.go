package lease

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// Upcoming returns, without changing anything Offer will see, the next
// addresses of range r that Offer would choose for a new client, at most n
// of them: the fresh ones first (never held, from the fresh cursor on), then
// the reclaimable ones (lease ended, from the reclaim cursor on), in the
// order Offer walks them. A conflict prober checks these ahead of time, so
// that a DISCOVER never waits for a probe.
//
// A lease whose end has passed but that Prune has not yet moved to the
// reclaimable set is not listed: Offer finds it only after that move too
// (or after its own, which the next Prune does within 10 s).
func (a *Allocator) Upcoming(r Range, n int) []netip.Addr {
	if n <= 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	p := a.pool(r, now)
	if p == nil {
		return nil
	}
	out := make([]netip.Addr, 0, min(n, int(p.n)))
	// The fresh walk, then the reclaim walk, each from its cursor around
	// the range once, by the pool's own searches (which skip whole words
	// of used addresses), their cursors put back after each step.
	walk := func(cursor *uint32, next func() (uint32, bool), fresh bool) {
		start := *cursor
		defer func() { *cursor = start }()
		var last uint32 // how far past start the last address found lies
		for first := true; len(out) < n; first = false {
			i, ok := next()
			if !ok {
				return
			}
			d := (i + p.n - start) % p.n
			if !first && d <= last {
				return // around once
			}
			last = d
			if ip := p.addr(i); a.peekable(ip, now, fresh) {
				out = append(out, ip)
			}
			if *cursor = (i + 1) % p.n; *cursor == start {
				return
			}
		}
	}
	walk(&p.cursor, p.nextFresh, true)
	walk(&p.rcursor, p.nextReclaim, false)
	return out
}

// peekable is usable for a client that holds nothing: what Offer's fresh
// and reclaimed searches accept for a new client.
func (a *Allocator) peekable(ip netip.Addr, now time.Time, fresh bool) bool {
	if o, ok := a.offers[ip]; ok && now.Before(o.until) {
		return false
	}
	l, held := a.lease(ip)
	return !held || (!fresh && !l.Active(now))
}

// Hold keeps ip out of the pools until until, as a DHCPDECLINE does (RFC
// 2131 §4.3.3): a Declined lease, recorded through the store, under mac,
// the hardware address that answered for ip (empty when the probe cannot
// tell, as an ICMP echo reply). held is false, and nothing is recorded,
// when ip has an active lease or an offer still held: the answer may be
// that client's, which got the address since it was probed.
func (a *Allocator) Hold(ctx context.Context, ip netip.Addr, mac net.HardwareAddr, until time.Time) (held bool, err error) {
	a.mu.Lock()
	now := a.now()
	busy := false
	if l, ok := a.lease(ip); ok && l.Active(now) {
		busy = true
	}
	if o, ok := a.offers[ip]; ok && now.Before(o.until) {
		busy = true
	}
	a.mu.Unlock()
	if busy {
		return false, nil
	}
	l := Lease{IP: ip, MAC: mac, State: Declined, Expires: until}
	if err := a.Commit(ctx, l); err != nil {
		return false, err
	}
	return true, nil
}
