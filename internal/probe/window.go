package probe

import (
	"bytes"
	"net"
	"net/netip"
	"time"
)

// Method is how an address is probed.
type Method uint8

const (
	// ARP: an RFC 5227 probe on a subnet of an interface pxed serves.
	ARP Method = iota + 1
	// ICMP: an echo request to a subnet reached through relays.
	ICMP
)

func (m Method) String() string {
	switch m {
	case ARP:
		return "arp"
	case ICMP:
		return "icmp"
	}
	return "unknown"
}

// Kind is what a probed address is.
type Kind uint8

const (
	// Pool: an address the allocator would offer next.
	Pool Kind = iota + 1
	// Reservation: a host's fixed address.
	Reservation
)

func (k Kind) String() string {
	switch k {
	case Pool:
		return "pool"
	case Reservation:
		return "reservation"
	}
	return "unknown"
}

// Answer is a host answering for an address: its MAC when ARP tells it,
// none over ICMP.
type Answer struct {
	IP  netip.Addr
	MAC net.HardwareAddr
}

// result is the last probe's finding for a pool address: no answer within
// the wait (free) as of at.
type result struct {
	at time.Time
}

// trusted reports whether a free result found at r.at is still believed at
// now: for freshFor, after which the address is probed again.
func (r result) trusted(now time.Time, freshFor time.Duration) bool {
	return !r.at.IsZero() && !now.Before(r.at) && now.Sub(r.at) < freshFor
}

// due lists the addresses of window, in its order, that need a probe now:
// neither trusted free nor being probed.
func due(window []netip.Addr, results map[netip.Addr]result, pending map[netip.Addr]*pendingProbe, now time.Time, freshFor time.Duration) []netip.Addr {
	var out []netip.Addr
	for _, ip := range window {
		if _, busy := pending[ip]; busy {
			continue
		}
		if r, ok := results[ip]; ok && r.trusted(now, freshFor) {
			continue
		}
		out = append(out, ip)
	}
	return out
}

// Verdict is what one answer to a probe means.
type Verdict uint8

const (
	// Owner: the reserved machine itself answered for its address.
	Owner Verdict = iota + 1
	// Squatter: a pool address is in use; hold it back.
	Squatter
	// Intruder: a reserved address answered from another MAC (ARP), or,
	// over ICMP, which cannot tell whose the answer is, answered while the
	// reserved machine holds no lease on it: report it.
	Intruder
)

// judge decides what an answer to a probe of kind, over method, means;
// reserved is the reservation's MAC, ownerLeased whether the reserved
// machine holds an active lease on the address now.
func judge(kind Kind, method Method, reserved, answered net.HardwareAddr, ownerLeased bool) Verdict {
	switch {
	case kind == Pool:
		return Squatter
	case method == ARP && len(reserved) > 0 && bytes.Equal(reserved, answered):
		return Owner
	case method == ICMP && ownerLeased:
		return Owner
	}
	return Intruder
}

// bucket is a token bucket: rate tokens per second, at most burst.
type bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func newBucket(rate float64, now time.Time) *bucket {
	burst := max(1, rate/5) // a fifth of a second's worth at once
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// take spends a token if there is one at now.
func (b *bucket) take(now time.Time) bool {
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
