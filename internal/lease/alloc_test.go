package lease

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
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

// client6 is DHCPv6 client i: keyed by DUID and IAID, with the MAC of
// DHCPv4 client(i) (the same machine).
func client6(i int) Client {
	c := client(i)
	c.ID = append(append([]byte("v6:\x00\x03\x00\x01"), c.MAC...), 0, 0, 0, 1)
	return c
}

// pool6 is the DHCPv6 pool of the reference network, 4,096 addresses.
var pool6 = []Range{{First: netip.MustParseAddr("2001:db8:1::1000"), Last: netip.MustParseAddr("2001:db8:1::1fff")}}

// TestAllocatorRandom runs random DISCOVER/REQUEST/RELEASE/DECLINE/
// withdraw/time steps against small pools and checks every answer against a
// plain scan of the pools: an offered address is usable by the client, and
// ErrExhausted comes only when no address is. The IPv6 pools are DHCPv6
// clients'; one crosses a multiple of 2^64.
func TestAllocatorRandom(t *testing.T) {
	t.Parallel()
	t.Run("IPv4", func(t *testing.T) {
		t.Parallel()
		testAllocatorRandom(t, client, []Range{
			{First: netip.MustParseAddr("10.0.0.10"), Last: netip.MustParseAddr("10.0.0.129")},
			{First: netip.MustParseAddr("10.0.1.0"), Last: netip.MustParseAddr("10.0.1.70")},
		})
	})
	t.Run("IPv6", func(t *testing.T) {
		t.Parallel()
		testAllocatorRandom(t, client6, []Range{
			{First: netip.MustParseAddr("2001:db8:1::1010"), Last: netip.MustParseAddr("2001:db8:1::1087")},
			{First: netip.MustParseAddr("2001:db8:1:0:ffff:ffff:ffff:ffe0"), Last: netip.MustParseAddr("2001:db8:1:1::26")},
		})
	})
}

func testAllocatorRandom(t *testing.T, client func(int) Client, pools []Range) {
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
			if !InRanges(pools, ip) {
				t.Fatalf("step %d: offered %s, outside the pools", step, ip)
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
			l := Lease{IP: ip, MAC: cl.MAC, ClientID: cl.ID, State: Bound, Expires: c.t.Add(time.Duration(1+rng.IntN(300)) * time.Second)}
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

// BenchmarkOffer6 is BenchmarkOffer for DHCPv6 clients (keyed by DUID and
// IAID) in an IPv6 pool of the same size.
func BenchmarkOffer6(b *testing.B) {
	pool := []Range{{First: netip.MustParseAddr("2001:db8:1::1"), Last: netip.MustParseAddr("2001:db8:1::fffe")}}
	for _, held := range []int{0, 60000, 65534} {
		b.Run(map[int]string{0: "empty", 60000: "60k-held", 65534: "full"}[held], func(b *testing.B) {
			c := &testClock{t: t0}
			a := newAllocT(b, c)
			for i := range held {
				cl := client6(i)
				ip, _ := a.Offer(cl, pool, netip.Addr{})
				a.Commit(context.Background(), Lease{IP: ip, MAC: cl.MAC, ClientID: cl.ID, State: Bound, Expires: t0.Add(time.Hour)})
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cl := client6(100000 + i)
				a.Offer(cl, pool, netip.Addr{})
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
	t.Run("IPv4", func(t *testing.T) {
		t.Parallel()
		testAllocatorSpread(t, client, []Range{{netip.MustParseAddr("10.77.0.10"), netip.MustParseAddr("10.77.255.250")}})
	})
	t.Run("IPv6", func(t *testing.T) {
		t.Parallel()
		testAllocatorSpread(t, client6, []Range{{netip.MustParseAddr("2001:db8:77::10"), netip.MustParseAddr("2001:db8:77::fffa")}})
	})
}

func testAllocatorSpread(t *testing.T, client func(int) Client, pool []Range) {
	c := &testClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	store := NewMem(c.now)
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

// TestAllocatorIPv6 walks a DHCPv6 pool through what the server does with
// it: fresh addresses in order until the pool is full, a reserved address
// asked for by the client (requested), the same address for a returning
// client, and reuse of the addresses whose leases ended.
func TestAllocatorIPv6(t *testing.T) {
	t.Parallel()
	c := &testClock{t: t0}
	a := newAllocT(t, c)
	ctx := context.Background()
	r := pool6[0]
	commit := func(cl Client, ip netip.Addr, exp time.Time) {
		t.Helper()
		if err := a.Commit(ctx, Lease{IP: ip, MAC: cl.MAC, ClientID: cl.ID, State: Bound, Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}

	// A reservation: the server asks for the host's address.
	reserved := netip.MustParseAddr("2001:db8:1::1800")
	ip, err := a.Offer(client6(0), pool6, reserved)
	if err != nil || ip != reserved {
		t.Fatalf("offer of the requested %s: %s, %v", reserved, ip, err)
	}
	commit(client6(0), ip, t0.Add(time.Minute)) // even clients' leases are short

	const n = 4096
	for i := 1; i < n; i++ {
		ip, err := a.Offer(client6(i), pool6, netip.Addr{})
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		// Fresh addresses in order, skipping the reserved one.
		want := netip.MustParseAddr("2001:db8:1::1000")
		for range i - 1 {
			want = want.Next()
		}
		if !want.Less(reserved) {
			want = want.Next()
		}
		if ip != want {
			t.Fatalf("client %d offered %s, want %s", i, ip, want)
		}
		exp := t0.Add(time.Hour)
		if i%2 == 0 {
			exp = t0.Add(time.Minute)
		}
		commit(client6(i), ip, exp)
	}
	if use, free := a.Usage(r); use != n || free != 0 {
		t.Errorf("full pool: %d in use, %d free; want %d and 0", use, free, n)
	}
	if _, err := a.Offer(client6(n), pool6, netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("full pool: %v, want ErrExhausted", err)
	}
	if _, err := a.Offer(client6(n), pool6, reserved); !errors.Is(err, ErrExhausted) {
		t.Fatalf("asking for another client's address in a full pool: %v, want ErrExhausted", err)
	}
	// A returning client gets its address back.
	if ip, err := a.Offer(client6(7), pool6, netip.Addr{}); err != nil || ip != netip.MustParseAddr("2001:db8:1::1006") {
		t.Errorf("client 7 again: %s, %v; want 2001:db8:1::1006", ip, err)
	}
	a.Withdraw(client6(7))

	c.t = t0.Add(2 * time.Minute) // the even clients' leases have ended
	if use, free := a.Usage(r); use != n/2 || free != n/2 {
		t.Errorf("after expiry: %d in use, %d free; want %d and %d", use, free, n/2, n/2)
	}
	seen := map[netip.Addr]bool{}
	for i := n; i < n+n/2; i++ {
		ip, err := a.Offer(client6(i), pool6, netip.Addr{})
		if err != nil {
			t.Fatalf("new client %d after expiry: %v", i, err)
		}
		if l, _ := a.Get(ip); seen[ip] || l.Active(c.t) || !r.Contains(ip) {
			t.Fatalf("%s offered again, or held, or outside the pool", ip)
		}
		seen[ip] = true
	}
	if _, err := a.Offer(client6(2*n), pool6, netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("pool full again: %v, want ErrExhausted", err)
	}
}

// A pool that crosses a multiple of 2^64 (the boundary of the low half of
// the address) hands out every address of it exactly once.
func TestAllocatorIPv6AcrossHalves(t *testing.T) {
	t.Parallel()
	a := newAllocT(t, &testClock{t: t0})
	r := Range{First: netip.MustParseAddr("2001:db8:0:0:ffff:ffff:ffff:ff80"), Last: netip.MustParseAddr("2001:db8:0:1::7f")}
	want := r.First
	for i := range 256 {
		ip, err := a.Offer(client6(i), []Range{r}, netip.Addr{})
		if err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
		if ip != want {
			t.Fatalf("offer %d: %s, want %s", i, ip, want)
		}
		want = want.Next()
	}
	if _, err := a.Offer(client6(256), []Range{r}, netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("after 256 offers: %v, want ErrExhausted", err)
	}
}

// A machine booting over both families is two clients: its DHCPv4 client
// (by MAC, or by option 61) and its DHCPv6 client (by DUID and IAID), each
// with its own lease, which Lookup and Offer never mix up.
func TestAllocatorDualStack(t *testing.T) {
	t.Parallel()
	c := &testClock{t: t0}
	a := newAllocT(t, c)
	ctx := context.Background()
	v4id := client(5)
	v4id.ID = append([]byte{1}, v4id.MAC...) // option 61: type 1 and the MAC
	for _, tc := range []struct {
		name   string
		v4, v6 Client
	}{
		{"DHCPv4 by MAC", client(1), client6(1)},
		{"DHCPv4 by client identifier", v4id, client6(5)},
	} {
		ip4, err := a.Offer(tc.v4, slash16, netip.Addr{})
		if err != nil {
			t.Fatal(err)
		}
		ip6, err := a.Offer(tc.v6, pool6, netip.Addr{})
		if err != nil {
			t.Fatal(err)
		}
		if !ip4.Is4() || !pool6[0].Contains(ip6) {
			t.Fatalf("%s: offered %s and %s", tc.name, ip4, ip6)
		}
		for _, l := range []Lease{
			{IP: ip4, MAC: tc.v4.MAC, ClientID: tc.v4.ID, State: Bound, Expires: t0.Add(time.Hour)},
			{IP: ip6, MAC: tc.v6.MAC, ClientID: tc.v6.ID, State: Bound, Expires: t0.Add(time.Hour)},
		} {
			if err := a.Commit(ctx, l); err != nil {
				t.Fatalf("%s: commit %s: %v", tc.name, l.IP, err)
			}
		}
		for _, x := range []struct {
			c    Client
			want netip.Addr
		}{{tc.v4, ip4}, {tc.v6, ip6}} {
			if l, ok := a.Lookup(x.c); !ok || l.IP != x.want {
				t.Errorf("%s: Lookup(%q) = %s, %v; want %s", tc.name, x.c.Key(), l.IP, ok, x.want)
			}
		}
		// Each client's next offer is its own address, in its own family.
		if ip, _ := a.Offer(tc.v4, slash16, netip.Addr{}); ip != ip4 {
			t.Errorf("%s: DHCPv4 client offered %s, want its %s", tc.name, ip, ip4)
		}
		if ip, _ := a.Offer(tc.v6, pool6, netip.Addr{}); ip != ip6 {
			t.Errorf("%s: DHCPv6 client offered %s, want its %s", tc.name, ip, ip6)
		}
		// And a DHCPv6 client with no lease yet finds none by its MAC.
		if l, ok := a.Lookup(client6(99)); ok {
			t.Errorf("%s: Lookup of a new DHCPv6 client found %s", tc.name, l.IP)
		}
	}
}

func TestRangeCheck(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		r    Range
		want string // in the error; "" for none
	}{
		{Range{ip("10.0.0.1"), ip("10.0.0.1")}, ""},
		{Range{ip("10.0.0.0"), ip("10.255.255.255")}, ""}, // a /8: 2^24
		{Range{ip("10.0.0.0"), ip("11.0.0.0")}, "more than 16777216 addresses"},
		{Range{ip("0.0.0.0"), ip("255.255.255.255")}, "more than 16777216 addresses"},
		{Range{ip("2001:db8:1::1000"), ip("2001:db8:1::1fff")}, ""},
		{Range{ip("2001:db8:1::"), ip("2001:db8:1::ff:ffff")}, ""}, // a /104: 2^24
		{Range{ip("2001:db8:1::"), ip("2001:db8:1::100:0")}, "more than 16777216 addresses"},
		{Range{ip("2001:db8:1::"), ip("2001:db8:1::ffff:ffff:ffff:ffff")}, "more than 16777216 addresses"}, // a /64
		{Range{ip("::"), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}, "more than 16777216 addresses"},
		{Range{ip("10.0.0.9"), ip("10.0.0.1")}, "ends before it starts"},
		{Range{ip("10.0.0.1"), ip("2001:db8::1")}, "mixes IPv4 and IPv6"},
		{Range{First: ip("10.0.0.1")}, "no first or last address"},
	} {
		err := tc.r.Check()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%s-%s) = %v, want %q", tc.r.First, tc.r.Last, err, tc.want)
		}
	}
}

// Offer skips a range too large for a pool rather than allocating its
// index, and still serves from the other ranges.
func TestAllocatorSkipsOversizeRange(t *testing.T) {
	t.Parallel()
	a := newAllocT(t, &testClock{t: t0})
	huge := Range{First: netip.MustParseAddr("2001:db8:2::"), Last: netip.MustParseAddr("2001:db8:2::ffff:ffff:ffff:ffff")}
	if _, err := a.Offer(client6(1), []Range{huge}, netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Errorf("offer from a /64 range: %v, want ErrExhausted", err)
	}
	if ip, err := a.Offer(client6(1), []Range{huge, pool6[0]}, netip.Addr{}); err != nil || !pool6[0].Contains(ip) {
		t.Errorf("offer from a /64 range and a pool: %s, %v", ip, err)
	}
	if len(a.pools) != 1 {
		t.Errorf("%d pool indexes, want 1 (none for the /64)", len(a.pools))
	}
}

// One machine whose boot stages differ in option 61 keeps one address:
// iPXE sends a client identifier that is its MAC (type 1), a later DHCP
// client (the discovery agent, a UEFI PXE client) sends none. A client
// identifier of another form stays a client of its own.
func TestAllocatorMACClientID(t *testing.T) {
	t.Parallel()
	c := &testClock{t: t0}
	a := newAllocT(t, c)
	ctx := context.Background()
	ipxe := client(7)
	ipxe.ID = append([]byte{1}, ipxe.MAC...)
	ip, err := a.Offer(ipxe, slash16, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx, Lease{IP: ip, MAC: ipxe.MAC, ClientID: ipxe.ID, State: Bound, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	bare := client(7)
	if got, err := a.Offer(bare, slash16, netip.Addr{}); err != nil || got != ip {
		t.Errorf("the same MAC without option 61: offered %s, %v; want its %s", got, err, ip)
	}
	if l, ok := a.Lookup(bare); !ok || l.IP != ip {
		t.Errorf("Lookup without option 61 = %s, %v; want %s", l.IP, ok, ip)
	}
	other := client(7)
	other.ID = []byte{0, 'h', 'o', 's', 't'} // type 0: a name, not the MAC
	if got, _ := a.Offer(other, slash16, netip.Addr{}); got == ip {
		t.Errorf("a client identifier of another form was offered the MAC's %s", ip)
	}
}
