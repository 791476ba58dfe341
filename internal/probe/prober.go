package probe

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/logsink"
)

// Settings are the network-wide probe settings (config dhcp.probe).
type Settings struct {
	// Rate is the most probes per second sent on one link.
	Rate float64
	// Window is how many of each pool's next addresses are kept probed.
	Window int
	// Wait is how long a probe waits for an answer before its address is
	// taken for free.
	Wait time.Duration
	// FreshFor is how long a free result is trusted.
	FreshFor time.Duration
	// Hold is how long an address that answered stays out of its pool.
	Hold time.Duration
	// ReservationsEvery is how often each reservation is probed.
	ReservationsEvery time.Duration
}

// PoolTarget is a pool to keep probed, on the link that reaches it.
type PoolTarget struct {
	Subnet netip.Prefix
	Range  lease.Range
	// Iface is the served interface the subnet is on (ARP), "" when it
	// is reached through relays (ICMP).
	Iface string
}

// ReservationTarget is a host's fixed address to check.
type ReservationTarget struct {
	Subnet netip.Prefix
	IP     netip.Addr
	MAC    net.HardwareAddr // the reserved machine's
	Host   string
	Iface  string // as PoolTarget's
}

// Plan is what to probe: the settings and the targets of the config serving.
type Plan struct {
	Settings
	Pools        []PoolTarget
	Reservations []ReservationTarget
}

// Allocator is what the prober needs of lease.Allocator.
type Allocator interface {
	Upcoming(r lease.Range, n int) []netip.Addr
	Hold(ctx context.Context, ip netip.Addr, mac net.HardwareAddr, until time.Time) (bool, error)
	Get(ip netip.Addr) (lease.Lease, bool)
}

func leaseClient(mac net.HardwareAddr) lease.Client { return lease.Client{MAC: mac} }

// Conflict is an address found in use by a machine that should not use it.
type Conflict struct {
	Kind   Kind
	Method Method
	Subnet netip.Prefix
	IP     netip.Addr
	// MAC is the machine that answered; none over ICMP.
	MAC  net.HardwareAddr
	Seen time.Time
	// Until is when a pool address's hold ends (zero for a reservation).
	Until time.Time
	// Host and Reserved are the reservation's host name and MAC.
	Host     string
	Reserved net.HardwareAddr
}

// Stats are the prober's counts since it started.
type Stats struct {
	// SentARP and SentICMP count probes sent.
	SentARP, SentICMP atomic.Uint64
	// PoolConflicts counts pool addresses held back; ReservationConflicts
	// reservations found answered by another machine.
	PoolConflicts, ReservationConflicts atomic.Uint64
	// Probed and Unprobed count pool offers of a probed subnet whose
	// address was, or was not, known free when offered.
	Probed, Unprobed atomic.Uint64
}

// Link sends probes on one link and reports answers: OpenARP and OpenICMP
// open Linux's (link_linux.go); tests use their own. Its methods are the
// prober's own.
type Link interface {
	method() Method
	send(target netip.Addr) error
	// read reads answers until ctx ends or the link is closed.
	read(ctx context.Context, got func(Answer)) error
	close() error
}

// pendingProbe is a probe sent and not yet timed out.
type pendingProbe struct {
	at     time.Time
	kind   Kind
	method Method
	subnet netip.Prefix
	res    *ReservationTarget // for a reservation
	// intruder is what answered a reservation's probe from another MAC.
	intruder *Answer
}

// Prober keeps each pool's next addresses probed. Build it with New, give
// it a plan with SetPlan, and Run it.
type Prober struct {
	alloc Allocator
	log   *slog.Logger
	now   func() time.Time
	links map[string]Link // by interface name; "" is the ICMP link

	plan      atomic.Pointer[Plan]
	closeOnce sync.Once
	wake      chan struct{}
	stats     Stats

	mu        sync.Mutex
	results   map[netip.Addr]result
	pending   map[netip.Addr]*pendingProbe
	buckets   map[string]*bucket
	rate      float64
	nextRes   map[netip.Addr]time.Time // when each reservation is probed next
	conflicts map[netip.Addr]Conflict
	// aged is when sweep last dropped aged results, conflicts and
	// reservation times (see ageEvery).
	aged time.Time
	// proxyWarned are the MACs said to answer for too many addresses.
	proxyWarned map[string]bool
}

// New returns a prober over alloc that sends on links (by interface name,
// "" for ICMP). now is the clock (time.Now).
func New(alloc Allocator, links map[string]Link, log *slog.Logger, now func() time.Time) *Prober {
	if now == nil {
		now = time.Now
	}
	p := &Prober{alloc: alloc, links: links, log: logsink.Or(log), now: now,
		wake:        make(chan struct{}, 1),
		results:     map[netip.Addr]result{},
		pending:     map[netip.Addr]*pendingProbe{},
		buckets:     map[string]*bucket{},
		nextRes:     map[netip.Addr]time.Time{},
		conflicts:   map[netip.Addr]Conflict{},
		proxyWarned: map[string]bool{},
	}
	p.plan.Store(&Plan{})
	return p
}

// SetPlan makes pl what is probed from the next round on (a reloaded
// config's); a changed rate starts new buckets.
func (p *Prober) SetPlan(pl Plan) {
	p.plan.Store(&pl)
	p.mu.Lock()
	if pl.Rate != p.rate {
		p.rate = pl.Rate
		clear(p.buckets)
	}
	p.mu.Unlock()
	p.poke()
}

// Stats returns the prober's counters, live.
func (p *Prober) Stats() *Stats { return &p.stats }

func (p *Prober) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// holdTimeout bounds the store commit of a hold.
const holdTimeout = 10 * time.Second

// tick is how often the windows are looked at when nothing wakes the loop;
// minGap the shortest time between two rounds. A round looks up every
// address of every window (BenchmarkRoundBusyPool: 0.85 ms for a window of
// 4096 while a /16 pool is being handed out); at a round every 10 ms that
// was 85 µs of CPU per lease at 1,000 offers a second. A window refilled 100 ms
// late costs little next to the probe's own wait (500 ms by default).
const (
	tick   = 100 * time.Millisecond
	minGap = 100 * time.Millisecond
)

// ageEvery is how often sweep drops what has aged out; an aged result
// kept a little longer is never trusted (due checks its age).
const ageEvery = time.Second

// maxHoldsPerMAC bounds the pool addresses held back under one MAC: a
// router doing proxy ARP answers for every address of the link, and
// holding them all would empty the pool. Past this, that MAC's answers are
// reported once and not held (docs/config.md: probe: false on such a
// subnet).
const maxHoldsPerMAC = 16

// Run probes until ctx ends, then closes the links and returns nil.
func (p *Prober) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for name, l := range p.links {
		g.Go(func() error {
			err := l.read(ctx, p.answer)
			if err != nil && ctx.Err() == nil {
				p.log.Warn("probe: reading answers failed; that link goes unprobed", "iface", name, "method", l.method().String(), "err", err)
			}
			return nil
		})
	}
	g.Go(func() error {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			p.round()
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			case <-p.wake:
				// Offers wake the loop to refill the windows, but at most
				// every minGap: at thousands of offers a second the
				// allocator's lock is the DHCP server's first, and a
				// round costs a lookup per address of the windows.
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(minGap):
				}
			}
		}
	})
	<-ctx.Done()
	p.Close()
	return g.Wait()
}

// Close closes the links (Run does when its context ends); it may be
// called more than once.
func (p *Prober) Close() error {
	p.closeOnce.Do(func() {
		for _, l := range p.links {
			l.close()
		}
	})
	return nil
}

// round times out the probes whose wait is over and sends those due, as
// the buckets allow.
func (p *Prober) round() {
	pl := p.plan.Load()
	now := p.now()
	p.sweep(now, pl)
	for i := range pl.Pools {
		t := &pl.Pools[i]
		l, ok := p.links[t.Iface]
		if !ok || pl.Window <= 0 {
			continue
		}
		window := p.alloc.Upcoming(t.Range, pl.Window)
		p.mu.Lock()
		for _, ip := range due(window, p.results, p.pending, now, pl.FreshFor) {
			if !p.bucket(t.Iface, pl.Rate, now).take(now) {
				break
			}
			if p.sendLocked(l, ip) {
				p.pending[ip] = &pendingProbe{at: now, kind: Pool, method: l.method(), subnet: t.Subnet}
			}
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range pl.Reservations {
		r := &pl.Reservations[i]
		l, ok := p.links[r.Iface]
		if !ok {
			continue
		}
		if next, ok := p.nextRes[r.IP]; ok && now.Before(next) {
			continue
		}
		if _, busy := p.pending[r.IP]; busy || !p.bucket(r.Iface, pl.Rate, now).take(now) {
			continue
		}
		p.nextRes[r.IP] = now.Add(pl.ReservationsEvery)
		if p.sendLocked(l, r.IP) {
			p.pending[r.IP] = &pendingProbe{at: now, kind: Reservation, method: l.method(), subnet: r.Subnet, res: r}
		}
	}
}

func (p *Prober) bucket(link string, rate float64, now time.Time) *bucket {
	b, ok := p.buckets[link]
	if !ok {
		b = newBucket(rate, now)
		p.buckets[link] = b
	}
	return b
}

// sendLocked sends a probe of ip on l; a probe not sent (no route to a
// relayed subnet, say) is not waited for, so that its address is not
// taken for free: it stays due.
func (p *Prober) sendLocked(l Link, ip netip.Addr) bool {
	if err := l.send(ip); err != nil {
		p.log.Debug("probe not sent", "ip", ip, "method", l.method().String(), "err", err)
		return false
	}
	switch l.method() {
	case ARP:
		p.stats.SentARP.Add(1)
	case ICMP:
		p.stats.SentICMP.Add(1)
	}
	return true
}

// sweep ends the probes whose wait is over: a pool address without an
// answer is free as of now; a reservation without an intruder has none
// any more. Results and conflicts that have aged out are dropped, so that
// memory follows the windows.
func (p *Prober) sweep(now time.Time, pl *Plan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ip, pp := range p.pending {
		if now.Sub(pp.at) < pl.Wait {
			continue
		}
		delete(p.pending, ip)
		switch pp.kind {
		case Pool:
			if pp.intruder == nil {
				p.results[ip] = result{at: now}
			}
		case Reservation:
			if pp.intruder == nil {
				if c, ok := p.conflicts[ip]; ok && c.Kind == Reservation {
					delete(p.conflicts, ip)
					p.log.Info("reserved address answered by its own machine only again", "ip", ip, "host", pp.res.Host, "subnet", pp.subnet.String())
				}
			}
		}
	}
	// The maps below hold an entry per address probed in the last
	// fresh_for (60,000 at 1,000 new clients a second): walking them at
	// every round, up to a hundred a second, cost more than the probes.
	if now.Sub(p.aged) < ageEvery {
		return
	}
	p.aged = now
	for ip, r := range p.results {
		if !r.trusted(now, pl.FreshFor) {
			delete(p.results, ip)
		}
	}
	for ip, c := range p.conflicts {
		if c.Kind == Pool && !now.Before(c.Until) {
			delete(p.conflicts, ip)
		}
	}
	for ip, next := range p.nextRes {
		if now.Sub(next) > pl.ReservationsEvery {
			delete(p.nextRes, ip) // a reservation no longer planned
		}
	}
}

// answer takes an answer read on a link: a conflict if its address is
// being probed.
func (p *Prober) answer(a Answer) {
	// Most ARP packets on a link answer no probe of ours: they cost a map
	// lookup, and no look at the allocator.
	p.mu.Lock()
	pp, ok := p.pending[a.IP]
	p.mu.Unlock()
	if !ok {
		return
	}
	var reserved net.HardwareAddr
	if pp.res != nil {
		reserved = pp.res.MAC
	}
	now := p.now()
	// Over ICMP the answer names no machine: a reserved machine that holds
	// its lease now is taken to be the one answering.
	ownerLeased := false
	if pp.kind == Reservation && pp.method == ICMP && len(reserved) > 0 {
		cur, leased := p.alloc.Get(a.IP)
		ownerLeased = leased && cur.Active(now) && cur.Holds(leaseClient(reserved))
	}
	p.mu.Lock()
	if pp, ok = p.pending[a.IP]; !ok {
		p.mu.Unlock()
		return
	}
	switch judge(pp.kind, pp.method, reserved, a.MAC, ownerLeased) {
	case Owner:
		p.mu.Unlock()
		return
	case Intruder:
		pp.intruder = &a
		c := Conflict{Kind: Reservation, Method: pp.method, Subnet: pp.subnet, IP: a.IP, MAC: a.MAC, Seen: now,
			Host: pp.res.Host, Reserved: pp.res.MAC}
		prev, known := p.conflicts[a.IP]
		p.conflicts[a.IP] = c
		p.mu.Unlock()
		if !known || prev.Kind != Reservation || prev.MAC.String() != a.MAC.String() {
			p.stats.ReservationConflicts.Add(1)
			p.logConflict(c, "reserved address answered by another machine; the reservation is still given")
		}
		return
	}
	// A pool address in use: hold it back. The pending entry stays until
	// its wait ends, so that a second answer is not a second conflict.
	delete(p.results, a.IP)
	if pp.intruder != nil {
		p.mu.Unlock()
		return
	}
	pp.intruder = &a
	pl := p.plan.Load()
	if len(a.MAC) > 0 && p.holdsBy(a.MAC) >= maxHoldsPerMAC {
		warned := p.proxyWarned[string(a.MAC)]
		p.proxyWarned[string(a.MAC)] = true
		p.mu.Unlock()
		if !warned {
			p.log.Warn("one machine answers for many pool addresses (proxy ARP?): its answers are no longer held back; set probe: false on this subnet if it answers for every address",
				"mac", a.MAC.String(), "subnet", pp.subnet.String(), "held", maxHoldsPerMAC)
		}
		return
	}
	p.mu.Unlock()
	until := now.Add(pl.Hold)
	ctx, cancel := context.WithTimeout(context.Background(), holdTimeout)
	defer cancel()
	held, err := p.alloc.Hold(ctx, a.IP, a.MAC, until)
	switch {
	case err != nil:
		p.log.Error("probe: holding back an address in use failed", "ip", a.IP, "mac", macString(a.MAC), "err", err)
		return
	case !held:
		// Offered or leased since it was probed: the answer is likely
		// its client's.
		p.log.Debug("probe: address answered but is on offer or leased now", "ip", a.IP, "mac", macString(a.MAC))
		return
	}
	c := Conflict{Kind: Pool, Method: pp.method, Subnet: pp.subnet, IP: a.IP, MAC: a.MAC, Seen: now, Until: until}
	p.mu.Lock()
	p.conflicts[a.IP] = c
	p.mu.Unlock()
	p.stats.PoolConflicts.Add(1)
	p.logConflict(c, "pool address in use: held back", "until", until.UTC().Format(time.RFC3339))
}

// holdsBy counts the pool addresses held back now under mac.
func (p *Prober) holdsBy(mac net.HardwareAddr) int {
	n := 0
	for _, c := range p.conflicts {
		if c.Kind == Pool && string(c.MAC) == string(mac) {
			n++
		}
	}
	return n
}

func (p *Prober) logConflict(c Conflict, msg string, extra ...any) {
	args := []any{"ip", c.IP, "mac", macString(c.MAC), "subnet", c.Subnet.String(), "kind", c.Kind.String(), "method", c.Method.String()}
	if c.Kind == Reservation {
		args = append(args, "host", c.Host, "reserved_mac", macString(c.Reserved))
	}
	p.log.Warn(msg, append(args, extra...)...)
}

func macString(m net.HardwareAddr) string {
	if len(m) == 0 {
		return ""
	}
	return m.String()
}

// Offered tells the prober that ip was offered from a pool. It counts the
// offer as probed when ip was known free, as unprobed otherwise (the window
// ran dry), and wakes the loop to refill the window. An address of no
// probed pool is not counted.
func (p *Prober) Offered(ip netip.Addr) {
	pl := p.plan.Load()
	in := false
	for i := range pl.Pools {
		if pl.Pools[i].Range.Contains(ip) {
			_, in = p.links[pl.Pools[i].Iface]
			break
		}
	}
	if !in {
		return
	}
	now := p.now()
	p.mu.Lock()
	// The result stays: a client that DISCOVERs again is offered the same
	// address, as probed as the first time; it ages out as any other.
	r, ok := p.results[ip]
	known := ok && r.trusted(now, pl.FreshFor)
	p.mu.Unlock()
	if known {
		p.stats.Probed.Add(1)
	} else {
		p.stats.Unprobed.Add(1)
		p.log.Debug("offered unprobed: the window of probed addresses ran dry", "ip", ip)
	}
	p.poke()
}

// Conflicts lists the conflicts known now: pool addresses held back and
// reservations answered by another machine, by address.
func (p *Prober) Conflicts() []Conflict {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Conflict, 0, len(p.conflicts))
	for _, c := range p.conflicts {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Conflict) int { return a.IP.Compare(b.IP) })
	return out
}
