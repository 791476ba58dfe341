package lease

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestUpcomingIsOffersOrder: the addresses Upcoming lists are the ones
// Offer then gives new clients, in that order, fresh ones before
// reclaimable ones; listing them changes none of Offer's choices.
func TestUpcomingIsOffersOrder(t *testing.T) {
	t.Parallel()
	c := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, spread := range []uint64{0, 0x9e3779b97f4a7c15} {
		a := newAllocT(t, c)
		a.Spread = spread
		r := Range{First: netip.MustParseAddr("10.0.0.10"), Last: netip.MustParseAddr("10.0.0.29")}
		ctx := context.Background()
		// Clients 0–11 hold addresses; 0–5 release theirs: those are
		// reclaimable, the 8 never held are fresh.
		for i := range 12 {
			ip, err := a.Offer(client(i), []Range{r}, netip.Addr{})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Commit(ctx, Lease{IP: ip, MAC: client(i).MAC, State: Bound, Expires: c.t.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 6 {
			l, _ := a.Lookup(client(i))
			l.State = Released
			if err := a.Commit(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		up := a.Upcoming(r, 20)
		if again := a.Upcoming(r, 20); !slices.Equal(up, again) {
			t.Fatalf("Upcoming changed between two calls: %v, then %v", up, again)
		}
		if len(up) != 14 {
			t.Fatalf("spread %x: Upcoming lists %d addresses, want 8 fresh and 6 reclaimable: %v", spread, len(up), up)
		}
		if short := a.Upcoming(r, 3); !slices.Equal(short, up[:3]) {
			t.Errorf("Upcoming(3) = %v, want the first three of %v", short, up)
		}
		var offered []netip.Addr
		for i := 100; i < 114; i++ {
			ip, err := a.Offer(client(i), []Range{r}, netip.Addr{})
			if err != nil {
				t.Fatal(err)
			}
			offered = append(offered, ip)
		}
		if !slices.Equal(up, offered) {
			t.Errorf("spread %x: Upcoming listed %v, Offer gave %v", spread, up, offered)
		}
		if rest := a.Upcoming(r, 5); len(rest) != 0 {
			t.Errorf("every address is on offer or held, yet Upcoming lists %v", rest)
		}
	}
}

// TestHoldKeepsAddressFromOffers: an address a probe found in use is held
// as a declined one, under the MAC that answered, until the hold ends;
// Offer skips it meanwhile and may offer it once the hold has ended. An
// address on offer or leased is not held (the answer is its client's).
func TestHoldKeepsAddressFromOffers(t *testing.T) {
	t.Parallel()
	c := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := newAllocT(t, c)
	ctx := context.Background()
	r := Range{First: netip.MustParseAddr("10.0.0.10"), Last: netip.MustParseAddr("10.0.0.13")}
	first := r.First
	squatter := net.HardwareAddr{0x02, 0xaa, 0, 0, 0, 1}
	held, err := a.Hold(ctx, first, squatter, c.t.Add(10*time.Minute))
	if err != nil || !held {
		t.Fatalf("Hold(%s) = %v, %v; want held", first, held, err)
	}
	l, ok := a.Get(first)
	if !ok || l.State != Declined || l.MAC.String() != squatter.String() {
		t.Fatalf("after Hold the lease of %s is %+v, want declined under %s", first, l, squatter)
	}
	if up := a.Upcoming(r, 4); slices.Contains(up, first) {
		t.Errorf("Upcoming lists the held %s: %v", first, up)
	}
	for i := range 3 {
		ip, err := a.Offer(client(i), []Range{r}, first)
		if err != nil {
			t.Fatal(err)
		}
		if ip == first {
			t.Fatalf("client %d was offered %s, held after a probe", i, ip)
		}
	}
	// (The squatter itself asking for the address it uses may get it, as
	// a client that declined may: no other machine is hurt.)
	// The fourth address is on offer to client 2: not held.
	onOffer, _ := a.Offer(client(2), []Range{r}, netip.Addr{})
	if held, err := a.Hold(ctx, onOffer, squatter, c.t.Add(time.Minute)); held || err != nil {
		t.Errorf("Hold of %s, on offer, = %v, %v; want refused", onOffer, held, err)
	}
	// Once the hold has ended, the address is reclaimable again.
	c.t = c.t.Add(11 * time.Minute)
	a.Prune()
	if up := a.Upcoming(r, 4); !slices.Contains(up, first) {
		t.Errorf("after the hold Upcoming = %v, want %s listed again", up, first)
	}
}

// TestHoldWithoutMAC: an ICMP probe knows no MAC; the hold is recorded
// (journal) and read back all the same.
func TestHoldWithoutMAC(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	j, err := OpenJournal(dir, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAllocator(context.Background(), j, now, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("10.0.2.150")
	if held, err := a.Hold(context.Background(), ip, nil, now().Add(time.Hour)); !held || err != nil {
		t.Fatalf("Hold = %v, %v", held, err)
	}
	j.Close()
	j, err = OpenJournal(dir, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	l, ok, err := j.Get(context.Background(), ip)
	if err != nil || !ok || l.State != Declined || !l.Active(now()) {
		t.Errorf("read back %+v, %v, %v; want an active declined lease", l, ok, err)
	}
}

// BenchmarkUpcomingNearlyFull: a /16 pool with 65,000 addresses on offer:
// the window of 8 is found by skipping whole words, not address by
// address (the prober asks for it every 100 ms, under the allocator's lock).
func BenchmarkUpcomingNearlyFull(b *testing.B) {
	c := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := newAllocT(b, c)
	a.offerHold = time.Hour
	for i := range 65000 {
		if _, err := a.Offer(client(i), slash16, netip.Addr{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if up := a.Upcoming(slash16[0], 8); len(up) != 8 {
			b.Fatalf("Upcoming gave %d", len(up))
		}
	}
}
