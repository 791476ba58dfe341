package ratelimit

import (
	"testing"
	"time"
)

// TestPerClient: a client flooding at 1,000 requests/s gets its burst and
// then the sustained rate, while another client is served untouched; the
// table of clients stays bounded.
func TestPerClient(t *testing.T) {
	t.Parallel()
	l := NewPerClient(Limits{PerClient: 10, Burst: 20, MaxClients: 64})
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	flood, quiet := []byte{2, 0, 0, 0, 0, 0x0f}, []byte{2, 0, 0, 0, 0, 1}
	served, quietServed := 0, 0
	for i := range 1000 { // one second at 1,000/s
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if l.Allow(flood, now) {
			served++
		}
		if i%100 == 0 && l.Allow(quiet, now) { // 10/s
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
		l.Allow([]byte{2, 1, 0, 0, byte(i >> 8), byte(i)}, t0)
	}
	if n := l.tracked(); n > 64 {
		t.Errorf("%d clients tracked, want at most 64", n)
	}
	if NewPerClient(Limits{PerClient: -1}).Allow(flood, t0) != true {
		t.Error("negative PerClient must not limit")
	}
}

// TestGlobal: a flood at 10,000 requests/s against a global limit of 100/s
// gets the burst of one second's worth and then the sustained rate; no
// limit is set by default.
func TestGlobal(t *testing.T) {
	t.Parallel()
	g := NewGlobal(100)
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	served := 0
	for i := range 10000 { // one second at 10,000/s
		if g.Allow(t0.Add(time.Duration(i) * 100 * time.Microsecond)) {
			served++
		}
	}
	if served < 195 || served > 201 {
		t.Errorf("served %d of 10,000 in 1 s, want burst 100 + about 100", served)
	}
	// A quiet second later the bucket is full again, and no fuller.
	later := t0.Add(10 * time.Second)
	n := 0
	for g.Allow(later) {
		n++
	}
	if n != 100 {
		t.Errorf("after a quiet spell %d requests pass at once, want the burst of 100", n)
	}
	if NewGlobal(0) != nil || !NewGlobal(0).Allow(t0) {
		t.Error("Global 0 must mean no global limit")
	}
}
