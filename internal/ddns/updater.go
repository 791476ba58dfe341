package ddns

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/pxed/pxed/internal/backoff"
	"github.com/pxed/pxed/internal/logsink"
)

// Result is what became of one lease's names. Every lease the Updater
// takes ends in exactly one, and renewals that change nothing in none.
type Result uint8

const (
	OK       Result = iota // the names are as the lease says (added, or removed)
	Conflict               // the name is another's (RFC 4703 §5.3.3): left alone
	Failed                 // no server took the update within the attempts
	Dropped                // the queue was full
	nResults
)

var results = [nResults]string{OK: "ok", Conflict: "conflict", Failed: "failed", Dropped: "dropped"}

func (r Result) String() string {
	if r < nResults {
		return results[r]
	}
	return "failed"
}

// Counts are the Updater's results so far.
type Counts struct {
	Results [nResults]uint64
	// Retries counts updates sent again after a failure.
	Retries uint64
	// Queued is how many leases wait now.
	Queued int
}

// Retry is how an update is retried: exponential backoff with jitter
// (backoff.Policy). Zero fields take updateRetry's: 30 attempts, waits
// from 500ms to 30s, about 14 minutes in all.
type Retry = backoff.Policy

var updateRetry = Retry{Attempts: 30, Base: 500 * time.Millisecond, Max: 30 * time.Second}

// Options configure an Updater.
type Options struct {
	Zones     Zones
	Exchanger Exchanger
	Logger    *slog.Logger
	// Queue is how many leases may wait for the worker; 0: 4096.
	Queue int
	Retry Retry
	// Recent is how long ago a lease may have ended for Run to remove its
	// names at start; 0: 24h. Older ones were removed before, or expired
	// while pxed was down for longer than that.
	Recent time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Updater keeps DNS in step with the leases it is told of (Observe) and
// those recorded at start (Run).
type Updater struct {
	// set is where names go and how updates are sent (Reconfigure);
	// its Exchanger is nil while updates are off.
	set    atomic.Pointer[settings]
	resync chan []Lease
	log    *slog.Logger
	retry  Retry
	recent time.Duration
	now    func() time.Time
	q      chan Lease

	results [nResults]atomic.Uint64
	retries atomic.Uint64
	// dropLog is when a full queue was last logged (Unix nanoseconds):
	// at most once every dropLogEvery, so that a flood of leases does not
	// become a flood of log lines.
	dropLog atomic.Int64

	// The worker's own: what each address should have, what pxed put in
	// DNS, and when to look at each address next.
	want  map[netip.Addr]*wanted
	have  map[netip.Addr]Record
	sched schedule
	gen   uint64
}

type settings struct {
	z  Zones
	ex Exchanger
}

// wanted is what an address's names should be: rec present, or gone.
type wanted struct {
	rec     Record
	present bool
	old     *Record // a name the address had before, to remove first
	attempt int
	gen     uint64
}

// New returns an Updater; Run starts its worker.
func New(o Options) *Updater {
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.Recent <= 0 {
		o.Recent = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	u := &Updater{log: logsink.Or(o.Logger), retry: o.Retry.Or(updateRetry),
		recent: o.Recent, now: o.Now, q: make(chan Lease, o.Queue), resync: make(chan []Lease, 1),
		want: map[netip.Addr]*wanted{}, have: map[netip.Addr]Record{}}
	u.set.Store(&settings{z: o.Zones, ex: o.Exchanger})
	return u
}

// Reconfigure makes the Updater put names in zones z and send updates
// through ex from now on (a reloaded config: new servers, a rotated key,
// other zones or TTL). Nothing waiting is lost: the queued leases, the
// retries and the removals scheduled at expiry are sent with the new
// settings. Names already in DNS stay where they are until their lease
// renews or ends; a renewal that plans them elsewhere (another zone, TTL)
// moves them, removing the old ones first.
//
// A nil ex turns updates off: what waits is forgotten, leases observed are
// ignored, and the names already in DNS are left as they are. Turning
// them on again takes Resync.
func (u *Updater) Reconfigure(z Zones, ex Exchanger) {
	u.set.Store(&settings{z: z, ex: ex})
}

// Resync hands the worker the recorded leases to put right, as Run does
// at start: after Reconfigure turned updates on again, names may have
// come and gone while they were off. One caller at a time.
func (u *Updater) Resync(recorded []Lease) {
	select {
	case <-u.resync: // an earlier list not yet taken: this one is newer
	default:
	}
	u.resync <- recorded
}

// Observe tells the Updater of a lease just recorded. It never waits: a
// lease that finds the queue full is dropped and counted (its names are
// put right at the next renewal, or at the next start).
func (u *Updater) Observe(l Lease) {
	select {
	case u.q <- l:
	default:
		n := u.results[Dropped].Add(1)
		now, last := u.now().UnixNano(), u.dropLog.Load()
		if now-last >= int64(dropLogEvery) && u.dropLog.CompareAndSwap(last, now) {
			u.log.Warn("dns update dropped: queue full", "ip", l.IP.String(), "name", l.Name, "dropped", n)
		}
	}
}

const dropLogEvery = 10 * time.Second

// Counts returns the results so far.
func (u *Updater) Counts() Counts {
	var c Counts
	for r := range c.Results {
		c.Results[r] = u.results[r].Load()
	}
	c.Retries = u.retries.Load()
	c.Queued = len(u.q)
	return c
}

// Run first puts right the names of the recorded leases (those active
// are ensured; those that ended within Recent are removed), then follows
// Observe until ctx ends. What is left undone then is redone at the next
// start, from the leases.
func (u *Updater) Run(ctx context.Context, recorded []Lease) error {
	u.takeRecorded(recorded)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		if at, ok := u.sched.next(); ok {
			t.Reset(max(at.Sub(u.now()), 0))
		} else {
			t.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return nil
		case l := <-u.q:
			u.take(l, u.now())
		case recorded := <-u.resync:
			u.takeRecorded(recorded)
		case <-t.C:
		}
		for {
			e, ok := u.sched.due(u.now())
			if !ok || ctx.Err() != nil {
				break
			}
			u.run(ctx, e)
		}
	}
}

// takeRecorded takes the recorded leases: those active, and those that
// ended within Recent (their names go).
func (u *Updater) takeRecorded(recorded []Lease) {
	now := u.now()
	for _, l := range recorded {
		if l.Ended || !l.Expires.After(now) {
			if l.Expires.Before(now.Add(-u.recent)) {
				continue
			}
		}
		u.take(l, now)
	}
}

// take records what l asks of its address's names and schedules the work.
func (u *Updater) take(l Lease, now time.Time) {
	set := u.set.Load()
	if !l.IP.Is4() || set.ex == nil {
		return
	}
	rec, err := Plan(set.z, l)
	had, hasOld := u.have[l.IP]
	gone := l.Ended || !l.Expires.After(now)
	if err != nil {
		if !hasOld {
			if l.Name != "" {
				u.log.Debug("dns update: lease not named in DNS", "ip", l.IP.String(), "name", l.Name, "reason", err.Error())
			}
			return
		}
		// The name changed to none, or to one outside the zone: the old
		// one goes.
		rec, gone = had, true
	}
	u.gen++
	w := &wanted{rec: rec, present: !gone, gen: u.gen}
	switch {
	case gone && hasOld:
		w.rec = had
	case !gone && hasOld && sameNames(had, rec):
		// A renewal: DNS already says so; only the expiry moves.
		u.have[l.IP] = rec
		u.want[l.IP] = w
		u.expireAt(w)
		return
	case !gone && hasOld:
		w.old = &had
	}
	u.want[l.IP] = w
	u.sched.add(now, l.IP, w.gen)
}

func sameNames(a, b Record) bool {
	return a.Name == b.Name && a.DHCID == b.DHCID && a.IP == b.IP && a.ReverseZone == b.ReverseZone && a.TTL == b.TTL
}

// expireAt schedules the removal of w's names when its lease expires.
func (u *Updater) expireAt(w *wanted) {
	if w.rec.Expires.Year() > 9000 || w.rec.Expires.After(u.now().AddDate(100, 0, 0)) {
		return // a BOOTP lease: for good
	}
	u.sched.add(w.rec.Expires, w.rec.IP, w.gen)
}

// run does what the address of e wants, if e is still its latest word.
func (u *Updater) run(ctx context.Context, e entry) {
	w, ok := u.want[e.ip]
	if !ok || w.gen != e.gen {
		return
	}
	ex := u.set.Load().ex
	if ex == nil {
		// Updates were turned off: what waited is forgotten, and with it
		// what pxed had put in DNS (it is no longer kept in step).
		delete(u.want, e.ip)
		delete(u.have, e.ip)
		return
	}
	if w.present && !w.rec.Expires.After(u.now()) {
		if _, added := u.have[e.ip]; !added {
			delete(u.want, e.ip)
			return
		}
		// Expired while pxed served: the allocator tells no one.
		w.present, w.attempt = false, 0
	}
	var res Result
	var err error
	if w.present {
		if w.old != nil {
			if res, err = u.remove(ctx, ex, *w.old); err == nil {
				w.old = nil
				delete(u.have, e.ip)
			}
		}
		if err == nil {
			res, err = u.ensure(ctx, ex, w.rec)
		}
	} else {
		res, err = u.remove(ctx, ex, w.rec)
	}
	attrs := []any{"ip", w.rec.IP.String(), "name", w.rec.Name, "add", w.present}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		w.attempt++
		if w.attempt >= u.retry.Attempts {
			u.results[Failed].Add(1)
			u.log.Warn("dns update failed, given up", append(attrs, "attempts", w.attempt, "err", err)...)
			delete(u.want, e.ip)
			return
		}
		wait := u.retry.Wait(w.attempt)
		u.retries.Add(1)
		u.log.Warn("dns update failed, will retry", append(attrs, "attempt", w.attempt, "wait", wait, "err", err)...)
		u.sched.add(u.now().Add(wait), e.ip, w.gen)
		return
	}
	u.results[res].Add(1)
	w.attempt = 0
	switch {
	case res == Conflict:
		u.log.Warn("dns name held by another client or the operator: not updated (RFC 4703 §5.3.3)", attrs...)
		delete(u.want, e.ip)
	case w.present:
		u.log.Info("dns names added", append(attrs, "ptr", w.rec.ReverseZone != "")...)
		u.have[e.ip] = w.rec
		u.expireAt(w)
	default:
		u.log.Info("dns names removed", attrs...)
		delete(u.have, e.ip)
		delete(u.want, e.ip)
	}
}

// ensure adds r's names as RFC 4703 §5.3 and §5.4 say: the name where it
// is free, else where its DHCID is r's, else a conflict; then the PTR.
func (u *Updater) ensure(ctx context.Context, ex Exchanger, r Record) (Result, error) {
	rc, err := ex.Exchange(ctx, addNew(r))
	if err != nil {
		return Failed, err
	}
	if rc == dns.RcodeYXDomain {
		if rc, err = ex.Exchange(ctx, addOwned(r)); err != nil {
			return Failed, err
		}
		if rc == dns.RcodeNXRrset {
			return Conflict, nil
		}
	}
	if rc != dns.RcodeSuccess {
		return Failed, rcodeError("adding "+r.Name, rc)
	}
	if r.ReverseZone == "" {
		return OK, nil
	}
	if rc, err = ex.Exchange(ctx, setPTR(r)); err != nil {
		return Failed, err
	}
	if rc != dns.RcodeSuccess {
		return Failed, rcodeError("setting the PTR of "+r.IP.String(), rc)
	}
	return OK, nil
}

// remove takes r's names out as RFC 4703 §5.5 says: our address where the
// DHCID is r's, then the DHCID where no address is left, then the PTR to
// r's name. A name that is not r's client's is left as it is.
func (u *Updater) remove(ctx context.Context, ex Exchanger, r Record) (Result, error) {
	rc, err := ex.Exchange(ctx, removeA(r))
	if err != nil {
		return Failed, err
	}
	switch rc {
	case dns.RcodeSuccess:
		// DHCID prerequisites fail with NXRRSET or YXRRSET when the name
		// is still in use or not ours: both leave it as it is.
		if rc, err = ex.Exchange(ctx, removeDHCID(r)); err != nil {
			return Failed, err
		}
		if rc != dns.RcodeSuccess && rc != dns.RcodeNXRrset && rc != dns.RcodeYXRrset {
			return Failed, rcodeError("removing the DHCID of "+r.Name, rc)
		}
	case dns.RcodeNXRrset:
		// Not this client's name (or gone already).
	default:
		return Failed, rcodeError("removing "+r.Name, rc)
	}
	if r.ReverseZone == "" {
		return OK, nil
	}
	if rc, err = ex.Exchange(ctx, removePTR(r)); err != nil {
		return Failed, err
	}
	if rc != dns.RcodeSuccess {
		return Failed, rcodeError("removing the PTR of "+r.IP.String(), rc)
	}
	return OK, nil
}

func rcodeError(what string, rc int) error {
	return fmt.Errorf("%s: server answered %s", what, dns.RcodeToString[rc])
}

// schedule is a min-heap of when to look at an address next.
type schedule []entry

type entry struct {
	at  time.Time
	ip  netip.Addr
	gen uint64
}

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].at.Before(s[j].at) }
func (s schedule) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *schedule) Push(x any)        { *s = append(*s, x.(entry)) }
func (s *schedule) Pop() any {
	old := *s
	e := old[len(old)-1]
	*s = old[:len(old)-1]
	return e
}

func (s *schedule) add(at time.Time, ip netip.Addr, gen uint64) {
	heap.Push(s, entry{at: at, ip: ip, gen: gen})
}

func (s *schedule) next() (time.Time, bool) {
	if len(*s) == 0 {
		return time.Time{}, false
	}
	return (*s)[0].at, true
}

func (s *schedule) due(now time.Time) (entry, bool) {
	if len(*s) == 0 || (*s)[0].at.After(now) {
		return entry{}, false
	}
	return heap.Pop(s).(entry), true
}
