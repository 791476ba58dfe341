package lease

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"
)

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func newAllocT(t testing.TB, c *testClock) *Allocator {
	t.Helper()
	a, err := NewAllocator(context.Background(), NewMem(c.now), c.now, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func client(i int) Client {
	return Client{MAC: net.HardwareAddr{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}}
}

// slash16 is a pool of 65,534 addresses, 10.0.0.1–10.0.255.254.
var slash16 = []Range{{First: netip.MustParseAddr("10.0.0.1"), Last: netip.MustParseAddr("10.0.255.254")}}

// TestAllocatorRandom runs random DISCOVER/REQUEST/RELEASE/DECLINE/
// withdraw/time steps against a small pool and checks every answer against a
// plain scan of the pool: an offered address is usable by the client, and
// ErrExhausted comes only when no address is.
func TestAllocatorRandom(t *testing.T) {
	t.Parallel()
	pools := []Range{
		{First: netip.MustParseAddr("10.0.0.10"), Last: netip.MustParseAddr("10.0.0.129")},
		{First: netip.MustParseAddr("10.0.1.0"), Last: netip.MustParseAddr("10.0.1.70")},
	}
	c := &testClock{t: t0}
	a := newAllocT(t, c)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	offered := map[int]netip.Addr{}
	for step := range 20000 {
		n := rng.IntN(260)
		cl := client(n)
		switch op := rng.IntN(10); {
		case op < 4:
			ip, err := a.Offer(cl, pools, netip.Addr{})
			a.mu.Lock()
			want := 0
			for _, r := range pools {
				for x := r.First; r.Contains(x); x = x.Next() {
					if a.usable(x, cl.Key(), cl, c.t, false) {
						want++
					}
				}
			}
			a.mu.Unlock()
			if errors.Is(err, ErrExhausted) {
				if want > 0 {
					t.Fatalf("step %d: exhausted with %d usable addresses", step, want)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if l, ok := a.Get(ip); ok && l.Active(c.t) && !l.Holds(cl) {
				t.Fatalf("step %d: offered %s, held by %s", step, ip, l.MAC)
			}
			offered[n] = ip
		case op < 7:
			ip, ok := offered[n]
			if !ok {
				continue
			}
			if !a.Available(ip, cl) {
				continue
			}
			l := Lease{IP: ip, MAC: cl.MAC, State: Bound, Expires: c.t.Add(time.Duration(1+rng.IntN(300)) * time.Second)}
			if rng.IntN(8) == 0 {
				l.State = Released
			}
			if rng.IntN(30) == 0 {
				l.State = Declined
			}
			if err := a.Commit(ctx, l); err != nil {
				t.Fatalf("step %d: commit of an available address: %v", step, err)
			}
		case op < 8:
			a.Withdraw(cl)
			delete(offered, n)
		case op < 9:
			c.t = c.t.Add(time.Duration(rng.IntN(20)) * time.Second)
		default:
			a.Prune()
		}
	}
}

// TestAllocatorOffersAgain: a client that sends DISCOVER again gets the
// address it was offered, not a second one; Withdraw gives it back.
func TestAllocatorOffersAgain(t *testing.T) {
	t.Parallel()
	c := &testClock{t: t0}
	a := newAllocT(t, c)
	first, err := a.Offer(client(1), slash16, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := a.Offer(client(1), slash16, netip.Addr{})
	if again != first {
		t.Errorf("second DISCOVER offered %s, want the first offer %s", again, first)
	}
	if len(a.offers) != 1 {
		t.Errorf("%d offers held for one client", len(a.offers))
	}
	a.Withdraw(client(1))
	if len(a.offers) != 0 || len(a.offerBy) != 0 {
		t.Errorf("offers after Withdraw: %v %v", a.offers, a.offerBy)
	}
}

// TestAllocatorFullPool fills a /16, checks exhaustion, then reuses the
// addresses whose leases end.
func TestAllocatorFullPool(t *testing.T) {
	t.Parallel()
	c := &testClock{t: t0}
	a := newAllocT(t, c)
	ctx := context.Background()
	const n = 65534
	for i := range n {
		ip, err := a.Offer(client(i), slash16, netip.Addr{})
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		exp := t0.Add(time.Hour)
		if i%2 == 0 {
			exp = t0.Add(time.Minute)
		}
		if err := a.Commit(ctx, Lease{IP: ip, MAC: client(i).MAC, State: Bound, Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Offer(client(n), slash16, netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("full pool: %v, want ErrExhausted", err)
	}
	c.t = t0.Add(2 * time.Minute) // half the leases have ended
	seen := map[netip.Addr]bool{}
	for i := n; i < n+n/2; i++ {
		ip, err := a.Offer(client(i), slash16, netip.Addr{})
		if err != nil {
			t.Fatalf("new client %d after expiry: %v", i, err)
		}
		if seen[ip] {
			t.Fatalf("%s offered twice", ip)
		}
		seen[ip] = true
	}
	if _, err := a.Offer(client(2*n), slash16, netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("pool full again: %v, want ErrExhausted", err)
	}
}

// BenchmarkOffer: the cost of choosing an address for a new client in an
// empty /16 and in one where 60,000 leases are active (and when it is full).
// It should not grow with the number of leases.
func BenchmarkOffer(b *testing.B) {
	for _, held := range []int{0, 60000, 65534} {
		b.Run(map[int]string{0: "empty", 60000: "60k-held", 65534: "full"}[held], func(b *testing.B) {
			c := &testClock{t: t0}
			a := newAllocT(b, c)
			for i := range held {
				ip, _ := a.Offer(client(i), slash16, netip.Addr{})
				a.Commit(context.Background(), Lease{IP: ip, MAC: client(i).MAC, State: Bound, Expires: t0.Add(time.Hour)})
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// A new client each time, which withdraws (as if it chose
				// another server), so the pool stays as full as it was.
				cl := client(100000 + i)
				a.Offer(cl, slash16, netip.Addr{})
				a.Withdraw(cl)
				i++
			}
		})
	}
}

// TestAllocatorUsage: an offer and an active lease count as in use; an
// expired lease and a withdrawn offer give their address back.
func TestAllocatorUsage(t *testing.T) {
	t.Parallel()
	c := &testClock{t: t0}
	a := newAllocT(t, c)
	ctx := context.Background()
	r := Range{First: netip.MustParseAddr("10.0.0.10"), Last: netip.MustParseAddr("10.0.0.19")}
	check := func(what string, wantUse int) {
		t.Helper()
		if use, free := a.Usage(r); use != wantUse || free != 10-wantUse {
			t.Errorf("%s: %d in use, %d free; want %d and %d", what, use, free, wantUse, 10-wantUse)
		}
	}
	check("empty", 0)
	ip1, err := a.Offer(client(1), []Range{r}, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	check("one offer", 1)
	if err := a.Commit(ctx, Lease{IP: ip1, MAC: client(1).MAC, State: Bound, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	check("offer acknowledged", 1)
	if _, err := a.Offer(client(2), []Range{r}, netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	check("a lease and an offer", 2)
	a.Withdraw(client(2))
	check("offer withdrawn", 1)
	c.t = t0.Add(2 * time.Hour)
	check("lease expired", 0)
}

// Two allocators over one store (two pxed instances) with different Spread
// values offer from different parts of the pool, so their first offers do
// not collide; without Spread both start at the pool's first address.
func TestAllocatorSpread(t *testing.T) {
	t.Parallel()
	c := &testClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	store := NewMem(c.now)
	pool := []Range{{netip.MustParseAddr("10.77.0.10"), netip.MustParseAddr("10.77.255.250")}}
	offers := func(spread uint64, from int) map[netip.Addr]bool {
		a, err := NewAllocator(context.Background(), store, c.now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		a.Spread = spread
		got := map[netip.Addr]bool{}
		for i := range 500 {
			ip, err := a.Offer(client(from+i), pool, netip.Addr{})
			if err != nil {
				t.Fatal(err)
			}
			got[ip] = true
		}
		return got
	}
	overlap := func(x, y map[netip.Addr]bool) int {
		n := 0
		for ip := range x {
			if y[ip] {
				n++
			}
		}
		return n
	}
	if n := overlap(offers(0, 0), offers(0, 1000)); n != 500 {
		t.Errorf("without Spread, %d of 500 offers coincide; want all (both start at the pool's first address)", n)
	}
	if n := overlap(offers(1, 0), offers(2, 1000)); n != 0 {
		t.Errorf("with Spread 1 and 2, %d of 500 offers coincide; want none", n)
	}
}
