package probe

import (
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// TestResultAgeing: a free result is trusted for freshFor, not before it
// was found (a clock stepped back) nor after.
func TestResultAgeing(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
		now  time.Time
		want bool
	}{
		{"just found", t0, t0, true},
		{"within the freshness", t0, t0.Add(59 * time.Second), true},
		{"at the end", t0, t0.Add(60 * time.Second), false},
		{"long ago", t0, t0.Add(time.Hour), false},
		{"clock stepped back", t0, t0.Add(-time.Second), false},
		{"never probed", time.Time{}, t0, false},
	} {
		if got := (result{at: tc.at}).trusted(tc.now, time.Minute); got != tc.want {
			t.Errorf("%s: trusted = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDue: the window's addresses in its order, less those trusted free
// and those being probed.
func TestDue(t *testing.T) {
	w := addrs("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5")
	results := map[netip.Addr]result{
		w[0]: {at: t0.Add(-10 * time.Second)}, // fresh
		w[2]: {at: t0.Add(-2 * time.Minute)},  // stale
	}
	pending := map[netip.Addr]*pendingProbe{w[3]: {at: t0}}
	got := due(w, results, pending, t0, time.Minute)
	if want := addrs("10.0.0.2", "10.0.0.3", "10.0.0.5"); !slices.Equal(got, want) {
		t.Errorf("due = %v, want %v", got, want)
	}
	if got := due(nil, results, pending, t0, time.Minute); len(got) != 0 {
		t.Errorf("an empty window has %v due", got)
	}
}

// TestJudge: what an answer means by kind and method.
func TestJudge(t *testing.T) {
	host := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	other := net.HardwareAddr{2, 0xaa, 0, 0, 0, 2}
	for _, tc := range []struct {
		kind             Kind
		method           Method
		reserved, answer net.HardwareAddr
		ownerLeased      bool
		want             Verdict
	}{
		{Pool, ARP, nil, other, false, Squatter},
		{Pool, ICMP, nil, nil, false, Squatter},
		{Reservation, ARP, host, host, false, Owner},
		{Reservation, ARP, host, other, false, Intruder},
		{Reservation, ARP, host, other, true, Intruder}, // ARP names the other machine, lease or not
		{Reservation, ICMP, host, nil, true, Owner},     // the reserved machine holds its lease: its answer
		{Reservation, ICMP, host, nil, false, Intruder}, // cannot tell whose: reported as answered
	} {
		if got := judge(tc.kind, tc.method, tc.reserved, tc.answer, tc.ownerLeased); got != tc.want {
			t.Errorf("judge(%s, %s, %s, %s) = %d, want %d", tc.kind, tc.method, tc.reserved, tc.answer, got, tc.want)
		}
	}
}

// TestBucket: a fifth of a second's burst, then the rate.
func TestBucket(t *testing.T) {
	b := newBucket(50, t0)
	n := 0
	for b.take(t0) {
		n++
	}
	if n != 10 {
		t.Errorf("burst %d, want 10 (a fifth of 50/s)", n)
	}
	now := t0
	sent := 0
	for range 1000 { // one second in steps of 1 ms
		now = now.Add(time.Millisecond)
		if b.take(now) {
			sent++
		}
	}
	if sent < 49 || sent > 51 {
		t.Errorf("%d probes in a second at 50/s", sent)
	}
	if s := newBucket(0.5, t0); !s.take(t0) || s.take(t0.Add(time.Second)) || !s.take(t0.Add(2*time.Second)) {
		t.Errorf("a slow bucket (0.5/s) does not allow one probe per 2 s")
	}
}
