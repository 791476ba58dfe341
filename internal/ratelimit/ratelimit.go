package ratelimit

import (
	"sync"
	"time"
)

// Limits are the per-client limits.
type Limits struct {
	// PerClient is the sustained rate of requests per second answered for
	// one client: 0 means the default 10, a negative value no limit.
	PerClient float64
	// Burst is how many requests one client may send at once (default
	// twice PerClient, at least 4).
	Burst int
	// MaxClients bounds the memory used: about this many clients are
	// tracked (default 65,536; those not heard from for longest go first).
	MaxClients int
}

const shards = 16

// KeyLen is the length of a client key: a hardware address (chaddr) fits;
// a longer identifier (a DHCPv6 DUID) is given as a digest of this size.
const KeyLen = 16

// PerClient is a token bucket per client key in a bounded map. Each shard
// keeps two generations: when the current one is full it becomes the
// previous one and the one before is dropped, so memory stays under
// MaxClients buckets and a client active in the last generation keeps its
// bucket. A nil *PerClient allows everything.
type PerClient struct {
	rate   float64 // tokens per nanosecond
	burst  float64
	perGen int
	shards [shards]shard
}

// key is a client key as a comparable value: a map key that costs no
// allocation, where a string would cost one per packet.
type key struct {
	n uint8
	b [KeyLen]byte
}

type shard struct {
	mu        sync.Mutex
	cur, prev map[key]bucket
}

type bucket struct {
	tokens float64
	last   int64 // unix ns of the last refill
}

// NewPerClient returns nil when l asks for no limit.
func NewPerClient(l Limits) *PerClient {
	per := l.PerClient
	if per == 0 {
		per = 10
	}
	if per < 0 {
		return nil
	}
	burst := float64(l.Burst)
	if burst <= 0 {
		burst = max(2*per, 4)
	}
	maxc := l.MaxClients
	if maxc <= 0 {
		maxc = 65536
	}
	p := &PerClient{rate: per / 1e9, burst: burst, perGen: max(maxc/shards/2, 1)}
	for i := range p.shards {
		p.shards[i].cur = map[key]bucket{}
	}
	return p
}

// Allow reports whether a request from the client with key k (bytes past
// KeyLen are ignored) may be served at now, and takes a token if so.
func (p *PerClient) Allow(k []byte, now time.Time) bool {
	if p == nil {
		return true
	}
	var kk key
	kk.n = uint8(copy(kk.b[:], k))
	var h byte
	for _, b := range kk.b[:kk.n] {
		h ^= b
	}
	s := &p.shards[h%shards]
	t := now.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cur[kk]
	if !ok {
		if b, ok = s.prev[kk]; ok {
			delete(s.prev, kk)
		} else {
			b = bucket{tokens: p.burst, last: t}
		}
	}
	allowed := b.take(t, p.rate, p.burst)
	if !ok && len(s.cur) >= p.perGen {
		s.prev, s.cur = s.cur, make(map[key]bucket, p.perGen)
	}
	s.cur[kk] = b
	return allowed
}

// tracked is how many clients have a bucket.
func (p *PerClient) tracked() int {
	n := 0
	for i := range p.shards {
		n += len(p.shards[i].cur) + len(p.shards[i].prev)
	}
	return n
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

// Global is one token bucket shared by all unknown clients. A nil *Global
// allows everything.
type Global struct {
	rate, burst float64 // tokens per nanosecond; at most burst tokens
	mu          sync.Mutex
	b           bucket
}

// NewGlobal returns a limit of rate requests per second with a burst of
// one second's worth, or nil when rate is not positive (no global limit).
func NewGlobal(rate float64) *Global {
	if rate <= 0 {
		return nil
	}
	burst := max(rate, 1)
	return &Global{rate: rate / 1e9, burst: burst, b: bucket{tokens: burst}}
}

// Allow reports whether one more request may be served at now, and takes a
// token if so.
func (g *Global) Allow(now time.Time) bool {
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
