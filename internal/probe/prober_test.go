package probe

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/lease"
)

// fakeLink answers probes for the addresses in hosts, as the machines on
// the link would: the answers wait in queue until the test delivers them.
type fakeLink struct {
	m     Method
	hosts map[netip.Addr][]net.HardwareAddr
	sent  []netip.Addr
	queue []Answer
}

func (l *fakeLink) method() Method { return l.m }
func (l *fakeLink) send(ip netip.Addr) error {
	l.sent = append(l.sent, ip)
	for _, mac := range l.hosts[ip] {
		l.queue = append(l.queue, Answer{IP: ip, MAC: mac})
	}
	return nil
}
func (l *fakeLink) read(ctx context.Context, got func(Answer)) error { <-ctx.Done(); return nil }
func (l *fakeLink) close() error                                     { return nil }

func (l *fakeLink) deliver(p *Prober) {
	q := l.queue
	l.queue = nil
	for _, a := range q {
		p.answer(a)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var (
	squatterMAC = net.HardwareAddr{0x02, 0xaa, 0, 0, 0, 0x01}
	stationMAC  = net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x02}
	subnet      = netip.MustParsePrefix("192.168.1.0/24")
	pool        = lease.Range{First: netip.MustParseAddr("192.168.1.150"), Last: netip.MustParseAddr("192.168.1.159")}
)

func settings() Settings {
	return Settings{Rate: 50, Window: 4, Wait: 500 * time.Millisecond, FreshFor: time.Minute, Hold: 10 * time.Minute, ReservationsEvery: time.Minute}
}

// TestProberHoldsSquattedAddress: the pool's first address answers an ARP
// probe; it is held back under the squatter's MAC, no client is offered
// it, the offers of the probed window count as probed, and the conflict is
// counted and listed.
func TestProberHoldsSquattedAddress(t *testing.T) {
	c := &clock{t: t0}
	a, err := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l := &fakeLink{m: ARP, hosts: map[netip.Addr][]net.HardwareAddr{pool.First: {squatterMAC}}}
	p := New(a, map[string]Link{"br0": l}, nil, c.now)
	p.SetPlan(Plan{Settings: settings(), Pools: []PoolTarget{{Subnet: subnet, Range: pool, Iface: "br0"}}})

	p.round()
	if len(l.sent) != 4 || l.sent[0] != pool.First {
		t.Fatalf("first round probed %v, want the window of 4 from %s", l.sent, pool.First)
	}
	l.deliver(p)
	ls, ok := a.Get(pool.First)
	if !ok || ls.State != lease.Declined || ls.MAC.String() != squatterMAC.String() || !ls.Expires.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("lease of the squatted address: %+v, want declined under %s until the hold's end", ls, squatterMAC)
	}
	// The wait ends: the three others are free; the window moves on.
	c.t = c.t.Add(600 * time.Millisecond)
	p.round()
	if got := l.sent[4:]; len(got) != 1 || got[0] != netip.MustParseAddr("192.168.1.154") {
		t.Errorf("second round probed %v, want only 192.168.1.154, the window's new address", got)
	}
	for i := range 3 {
		cl := lease.Client{MAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(i)}}
		ip, err := a.Offer(cl, []lease.Range{pool}, netip.Addr{})
		if err != nil {
			t.Fatal(err)
		}
		if ip == pool.First {
			t.Fatalf("client %d offered the squatted %s", i, ip)
		}
		p.Offered(ip)
		if i == 0 {
			// The client DISCOVERs again and is offered the same address.
			p.Offered(ip)
		}
	}
	st := p.Stats()
	if st.Probed.Load() != 4 || st.Unprobed.Load() != 0 {
		t.Errorf("offers probed %d, unprobed %d; want 4, 0", st.Probed.Load(), st.Unprobed.Load())
	}
	// A burst past the window: the offer goes out unprobed, and is counted.
	cl := lease.Client{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 9}}
	ip, _ := a.Offer(cl, []lease.Range{pool}, netip.Addr{})
	if ip != netip.MustParseAddr("192.168.1.154") {
		t.Fatalf("fourth offer %s", ip)
	}
	// 192.168.1.154 was probed in the second round but its wait has not
	// ended: it is not known free yet, so its offer counts as unprobed.
	p.Offered(ip)
	c.t = c.t.Add(time.Millisecond)
	ip2, _ := a.Offer(lease.Client{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 10}}, []lease.Range{pool}, netip.Addr{})
	p.Offered(ip2)
	if st.Unprobed.Load() != 2 {
		t.Errorf("unprobed offers %d, want 2 (the window ran dry)", st.Unprobed.Load())
	}
	if st.PoolConflicts.Load() != 1 || st.SentARP.Load() != 5 {
		t.Errorf("conflicts %d, ARP probes %d; want 1, 5", st.PoolConflicts.Load(), st.SentARP.Load())
	}
	cs := p.Conflicts()
	if len(cs) != 1 || cs[0].IP != pool.First || cs[0].Kind != Pool || cs[0].Method != ARP || cs[0].MAC.String() != squatterMAC.String() {
		t.Errorf("conflicts %+v", cs)
	}
	// The hold ends: the address is probed again before it is offered
	// (reclaimable, it comes after the fresh ones: a window of 10 reaches it).
	c.t = t0.Add(11 * time.Minute)
	a.Prune()
	wide := settings()
	wide.Window = 10
	p.SetPlan(Plan{Settings: wide, Pools: []PoolTarget{{Subnet: subnet, Range: pool, Iface: "br0"}}})
	sent := len(l.sent)
	p.round()
	probedAgain := false
	for _, ip := range l.sent[sent:] {
		probedAgain = probedAgain || ip == pool.First
	}
	if !probedAgain {
		t.Errorf("after the hold, round probed %v, not %s", l.sent[sent:], pool.First)
	}
	if len(p.Conflicts()) != 0 {
		t.Errorf("the conflict outlived its hold: %+v", p.Conflicts())
	}
}

// TestProberAgesResults: a free result is trusted for FreshFor, then the
// address is probed again while it is in the window.
func TestProberAgesResults(t *testing.T) {
	c := &clock{t: t0}
	a, _ := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	l := &fakeLink{m: ICMP}
	p := New(a, map[string]Link{"": l}, nil, c.now)
	p.SetPlan(Plan{Settings: settings(), Pools: []PoolTarget{{Subnet: subnet, Range: pool}}})
	p.round()
	c.t = c.t.Add(time.Second)
	p.round()
	if len(l.sent) != 4 {
		t.Fatalf("probes within the freshness: %d, want 4", len(l.sent))
	}
	c.t = c.t.Add(time.Minute)
	p.round()
	if len(l.sent) != 8 {
		t.Errorf("probes once the results aged: %d, want 8", len(l.sent))
	}
	if p.Stats().SentICMP.Load() != 8 {
		t.Errorf("ICMP probes counted %d", p.Stats().SentICMP.Load())
	}
}

// TestProberRate: a window far larger than the bucket: probes go out at
// the rate, never faster.
func TestProberRate(t *testing.T) {
	c := &clock{t: t0}
	a, _ := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	l := &fakeLink{m: ARP}
	big := lease.Range{First: netip.MustParseAddr("10.0.0.1"), Last: netip.MustParseAddr("10.0.255.254")}
	p := New(a, map[string]Link{"br0": l}, nil, c.now)
	s := settings()
	s.Window = 1000
	p.SetPlan(Plan{Settings: s, Pools: []PoolTarget{{Subnet: netip.MustParsePrefix("10.0.0.0/16"), Range: big, Iface: "br0"}}})
	for range 20 { // two seconds of rounds
		p.round()
		c.t = c.t.Add(tick)
	}
	if n := len(l.sent); n < 100 || n > 111 {
		t.Errorf("%d probes in 2 s at 50/s (burst 10)", n)
	}
}

// TestProberReservation: a reserved address answered by its own machine
// is no conflict; by another MAC it is reported once, never held; once only
// the owner answers again the report goes.
func TestProberReservation(t *testing.T) {
	c := &clock{t: t0}
	a, _ := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	reserved := netip.MustParseAddr("192.168.1.102")
	l := &fakeLink{m: ARP, hosts: map[netip.Addr][]net.HardwareAddr{reserved: {stationMAC, squatterMAC}}}
	p := New(a, map[string]Link{"br0": l}, nil, c.now)
	p.SetPlan(Plan{Settings: settings(), Reservations: []ReservationTarget{{Subnet: subnet, IP: reserved, MAC: stationMAC, Host: "station-02", Iface: "br0"}}})
	for range 2 {
		p.round()
		l.deliver(p)
		c.t = c.t.Add(time.Second)
		p.round()
		c.t = c.t.Add(time.Minute)
	}
	if got := p.Stats().ReservationConflicts.Load(); got != 1 {
		t.Errorf("reservation conflicts %d, want 1 (reported once)", got)
	}
	cs := p.Conflicts()
	if len(cs) != 1 || cs[0].Kind != Reservation || cs[0].MAC.String() != squatterMAC.String() || cs[0].Host != "station-02" {
		t.Fatalf("conflicts %+v", cs)
	}
	if _, ok := a.Get(reserved); ok {
		t.Errorf("a reservation was held back")
	}
	l.hosts[reserved] = []net.HardwareAddr{stationMAC}
	p.round()
	l.deliver(p)
	c.t = c.t.Add(time.Second)
	p.round()
	if cs := p.Conflicts(); len(cs) != 0 {
		t.Errorf("the squatter left, yet conflicts are %+v", cs)
	}
}

// TestProberReservationICMP: over ICMP an answer names no machine: while
// the reserved machine holds its lease it is taken for the one answering;
// without that lease, the answer is reported.
func TestProberReservationICMP(t *testing.T) {
	c := &clock{t: t0}
	a, _ := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	reserved := netip.MustParseAddr("192.168.2.101")
	l := &fakeLink{m: ICMP, hosts: map[netip.Addr][]net.HardwareAddr{reserved: {nil}}}
	p := New(a, map[string]Link{"": l}, nil, c.now)
	p.SetPlan(Plan{Settings: settings(), Reservations: []ReservationTarget{{Subnet: netip.MustParsePrefix("192.168.2.0/24"), IP: reserved, MAC: stationMAC, Host: "far-01"}}})
	if err := a.Commit(context.Background(), lease.Lease{IP: reserved, MAC: stationMAC, State: lease.Bound, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p.round()
	l.deliver(p)
	if cs := p.Conflicts(); len(cs) != 0 {
		t.Fatalf("the leased reserved machine's own answer was reported: %+v", cs)
	}
	c.t = t0.Add(2 * time.Hour) // its lease has ended; something still answers
	p.round()
	p.round()
	l.deliver(p)
	cs := p.Conflicts()
	if len(cs) != 1 || cs[0].Method != ICMP || len(cs[0].MAC) != 0 || cs[0].Host != "far-01" {
		t.Errorf("conflicts %+v, want far-01's address reported as answered over ICMP", cs)
	}
}

// TestProberProxyARP: a router answering for every address (proxy ARP)
// does not empty the pool: past maxHoldsPerMAC holds under its MAC, its
// answers are no longer held.
func TestProberProxyARP(t *testing.T) {
	c := &clock{t: t0}
	a, _ := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	router := net.HardwareAddr{0x02, 0xee, 0, 0, 0, 1}
	big := lease.Range{First: netip.MustParseAddr("10.0.0.1"), Last: netip.MustParseAddr("10.0.0.200")}
	l := &fakeLink{m: ARP, hosts: map[netip.Addr][]net.HardwareAddr{}}
	for ip := big.First; big.Contains(ip); ip = ip.Next() {
		l.hosts[ip] = []net.HardwareAddr{router}
	}
	p := New(a, map[string]Link{"br0": l}, nil, c.now)
	s := settings()
	s.Window = 64
	s.Rate = 1000
	p.SetPlan(Plan{Settings: s, Pools: []PoolTarget{{Subnet: netip.MustParsePrefix("10.0.0.0/24"), Range: big, Iface: "br0"}}})
	for range 10 {
		p.round()
		l.deliver(p)
		c.t = c.t.Add(time.Second)
	}
	if got := p.Stats().PoolConflicts.Load(); got != maxHoldsPerMAC {
		t.Errorf("%d addresses held under the proxy ARP router's MAC, want %d", got, maxHoldsPerMAC)
	}
	if _, err := a.Offer(lease.Client{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}}, []lease.Range{big}, netip.Addr{}); err != nil {
		t.Errorf("the pool is empty after a proxy ARP router answered: %v", err)
	}
}
