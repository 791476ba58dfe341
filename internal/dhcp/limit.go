package dhcp

import (
	"sync"
	"time"

	"github.com/pxed/pxed/internal/pxe"
)

// RateLimit bounds how fast pxed answers one client, so that a client (or
// a flood under one forged MAC) cannot take the workers from the others.
// Requests over the limit are dropped before they are parsed; a real client
// retransmits after seconds (RFC 2131 §4.1: 4 s, then 8 s, ...) and never
// comes near the default.
type RateLimit struct {
	// PerMAC is the sustained rate of requests per second answered for one
	// hardware address: 0 means the default 10, a negative value no limit.
	PerMAC float64
	// Burst is how many requests one address may send at once (default
	// twice PerMAC, at least 4).
	Burst int
	// MaxClients bounds the memory used: about this many addresses are
	// tracked (default 65,536; those not heard from for longest go first).
	MaxClients int
	// Global is the sustained rate of requests per second answered for all
	// clients the configuration does not list as hosts, together, with a
	// burst of one second's worth: 0 means no global limit. A flood under
	// ever new random MACs passes the per-MAC limit; this one bounds the
	// work (lease writes, log lines) it can cause. Known hosts are exempt,
	// so that the reserved stations are served through such a flood; each
	// of them still has its per-MAC limit, so forging their MACs gains
	// little.
	Global float64
}

const limiterShards = 16

// limiter is a token bucket per MAC in a bounded map. Each shard keeps two
// generations: when the current one is full it becomes the previous one and
// the one before is dropped, so memory stays under MaxClients buckets and a
// client active in the last generation keeps its bucket.
type limiter struct {
	rate   float64 // tokens per nanosecond
	burst  float64
	perGen int
	shards [limiterShards]limiterShard
}

type limiterShard struct {
	mu        sync.Mutex
	cur, prev map[pxe.MACKey]bucket
}

type bucket struct {
	tokens float64
	last   int64 // unix ns of the last refill
}

// newLimiter returns nil when rl asks for no limit.
func newLimiter(rl RateLimit) *limiter {
	per := rl.PerMAC
	if per == 0 {
		per = 10
	}
	if per < 0 {
		return nil
	}
	burst := float64(rl.Burst)
	if burst <= 0 {
		burst = max(2*per, 4)
	}
	maxc := rl.MaxClients
	if maxc <= 0 {
		maxc = 65536
	}
	l := &limiter{rate: per / 1e9, burst: burst, perGen: max(maxc/limiterShards/2, 1)}
	for i := range l.shards {
		l.shards[i].cur = map[pxe.MACKey]bucket{}
	}
	return l
}

// allow reports whether a request from the client whose hardware address is
// mac may be served at now, and takes a token if so.
func (l *limiter) allow(mac []byte, now time.Time) bool {
	if l == nil {
		return true
	}
	k := pxe.KeyOf(mac)
	var h byte
	for _, b := range mac {
		h ^= b
	}
	s := &l.shards[h%limiterShards]
	t := now.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cur[k]
	if !ok {
		if b, ok = s.prev[k]; ok {
			delete(s.prev, k)
		} else {
			b = bucket{tokens: l.burst, last: t}
		}
	}
	allowed := b.take(t, l.rate, l.burst)
	if !ok && len(s.cur) >= l.perGen {
		s.prev, s.cur = s.cur, make(map[pxe.MACKey]bucket, l.perGen)
	}
	s.cur[k] = b
	return allowed
}

// take refills b for the time since its last refill at rate tokens per
// nanosecond up to burst, then takes a token if there is one.
func (b *bucket) take(t int64, rate, burst float64) bool {
	if t > b.last {
		b.tokens = min(burst, b.tokens+float64(t-b.last)*rate)
		b.last = t
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// globalLimiter is one token bucket shared by all unknown clients.
type globalLimiter struct {
	rate, burst float64 // tokens per nanosecond; at most burst tokens
	mu          sync.Mutex
	b           bucket
}

// newGlobalLimiter returns nil when rl asks for no global limit.
func newGlobalLimiter(rl RateLimit) *globalLimiter {
	if rl.Global <= 0 {
		return nil
	}
	burst := max(rl.Global, 1)
	return &globalLimiter{rate: rl.Global / 1e9, burst: burst, b: bucket{tokens: burst}}
}

// allow reports whether one more request may be served at now, and takes a
// token if so.
func (g *globalLimiter) allow(now time.Time) bool {
	if g == nil {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.b.last == 0 {
		g.b.last = now.UnixNano()
	}
	return g.b.take(now.UnixNano(), g.rate, g.burst)
}

// chaddr returns the client hardware address of a raw BOOTP packet (RFC 951:
// hlen at octet 2, chaddr at octets 28–43), or nil if the packet is too short.
func chaddr(pkt []byte) []byte {
	if len(pkt) < 44 {
		return nil
	}
	n := min(int(pkt[2]), 16)
	return pkt[28 : 28+n]
}
