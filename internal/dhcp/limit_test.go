package dhcp

import (
	"net"
	"testing"
	"time"
)

// TestRateLimitPerMAC: a client flooding at 1,000 requests/s gets its burst
// and then the sustained rate, while another client is served untouched;
// the table of clients stays bounded.
func TestRateLimitPerMAC(t *testing.T) {
	t.Parallel()
	l := newLimiter(RateLimit{PerMAC: 10, Burst: 20, MaxClients: 64})
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	flood, quiet := mustMAC("02:00:00:00:00:0f"), mustMAC("02:00:00:00:00:01")
	served, quietServed := 0, 0
	for i := range 1000 { // one second at 1,000/s
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if l.allow(flood, now) {
			served++
		}
		if i%100 == 0 && l.allow(quiet, now) { // 10/s
			quietServed++
		}
	}
	if served < 25 || served > 31 {
		t.Errorf("flooding client served %d of 1000 in 1 s, want burst 20 + about 10", served)
	}
	if quietServed != 10 {
		t.Errorf("quiet client served %d of 10", quietServed)
	}
	for i := range 10000 {
		l.allow(net.HardwareAddr{2, 1, 0, 0, byte(i >> 8), byte(i)}, t0)
	}
	n := 0
	for i := range l.shards {
		n += len(l.shards[i].cur) + len(l.shards[i].prev)
	}
	if n > 64 {
		t.Errorf("%d clients tracked, want at most 64", n)
	}
	if newLimiter(RateLimit{PerMAC: -1}).allow(flood, t0) != true {
		t.Error("negative PerMAC must not limit")
	}
}

// TestRateLimitGlobal: a flood at 10,000 requests/s against a global limit of
// 100/s gets the burst of one second's worth and then the sustained rate; no
// limit is set by default.
func TestRateLimitGlobal(t *testing.T) {
	t.Parallel()
	g := newGlobalLimiter(RateLimit{Global: 100})
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	served := 0
	for i := range 10000 { // one second at 10,000/s
		if g.allow(t0.Add(time.Duration(i) * 100 * time.Microsecond)) {
			served++
		}
	}
	if served < 195 || served > 201 {
		t.Errorf("served %d of 10,000 in 1 s, want burst 100 + about 100", served)
	}
	// A quiet second later the bucket is full again, and no fuller.
	later := t0.Add(10 * time.Second)
	n := 0
	for g.allow(later) {
		n++
	}
	if n != 100 {
		t.Errorf("after a quiet spell %d requests pass at once, want the burst of 100", n)
	}
	if newGlobalLimiter(RateLimit{}) != nil || !newGlobalLimiter(RateLimit{}).allow(t0) {
		t.Error("Global 0 must mean no global limit")
	}
}
