package events

import (
	"container/list"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/pxed/pxed/internal/pxe"
)

// Kind is what happened.
type Kind uint8

const (
	DHCPDiscover Kind = iota + 1
	DHCPOffer
	DHCPRequest
	DHCPAck
	DHCPNak
	DHCPIgnored
	FileServed // a TFTP (or HTTP) file sent whole
	FileFailed // a file not found, refused, or a transfer that died
	ProxyOffer // a ProxyDHCP offer: boot information, no address
	ProxyAck   // a ProxyDHCP answer on the boot server port (4011)
	Callback   // an installer called back (Detail says what it reported)
	// BOOTPRequest is a BOOTREQUEST without a DHCP message type: a BOOTP
	// client (RFC 951; RFC 1534 §2), which asks once for everything.
	BOOTPRequest
	BOOTPReply   // the BOOTREPLY: an address for good, siaddr and the boot file
	BOOTPRefused // a BOOTP request the configuration does not answer (Detail says why)
	// Discovered is a machine without a host entry seen for the first
	// time: it waits to be adopted, by a rule or by hand.
	Discovered
	// InventoryReceived is the hardware inventory a machine's discovery
	// boot sent (internal/inventory); Detail sums it up.
	InventoryReceived
	// Adopted is a machine given a host entry: Host names it, Detail the
	// rule that matched, or By the person who adopted it by hand.
	Adopted
	// Action is something an operator did to a machine (change its
	// profile, reinstall, wake it): Detail says what, By who.
	Action
	// InstallerLog is a line the machine's installer or system sent to
	// pxed's syslog receiver; Detail is the line, as sent.
	InstallerLog
)

// kinds drives String and Event.Result: a new kind is its constant and one
// line here.
var kinds = [...]struct {
	name string
	// failure is the outcome of an event of this kind whose emitter named
	// none: OutcomeOK unless the kind is itself a failure.
	failure Outcome
}{
	0:                 {"unknown", OutcomeOK},
	DHCPDiscover:      {"DISCOVER", OutcomeOK},
	DHCPOffer:         {"OFFER", OutcomeOK},
	DHCPRequest:       {"REQUEST", OutcomeOK},
	DHCPAck:           {"ACK", OutcomeOK},
	DHCPNak:           {"NAK", OutcomeRefused},
	DHCPIgnored:       {"ignored", OutcomeOK},
	FileServed:        {"file", OutcomeOK},
	FileFailed:        {"file failed", OutcomeError},
	ProxyOffer:        {"proxy OFFER", OutcomeOK},
	ProxyAck:          {"proxy ACK", OutcomeOK},
	Callback:          {"callback", OutcomeOK},
	BOOTPRequest:      {"BOOTREQUEST", OutcomeOK},
	BOOTPReply:        {"BOOTREPLY", OutcomeOK},
	BOOTPRefused:      {"BOOTP refused", OutcomeRefused},
	Discovered:        {"discovered", OutcomeOK},
	InventoryReceived: {"inventory", OutcomeOK},
	Adopted:           {"adopted", OutcomeOK},
	Action:            {"action", OutcomeOK},
	InstallerLog:      {"log", OutcomeOK},
}

func (k Kind) String() string {
	if int(k) < len(kinds) {
		return kinds[k].name
	}
	return kinds[0].name
}

// Acknowledges reports whether an event of kind k gives the machine the
// address it names (a DHCPACK, a ProxyDHCP ACK, a BOOTREPLY): the files it
// then fetches by that address are its.
func (k Kind) Acknowledges() bool { return k == DHCPAck || k == ProxyAck || k == BOOTPReply }

// startsBoot reports whether an event of kind k is a machine asking for its
// address afresh: a DHCPDISCOVER, or a BOOTP client's one request.
func (k Kind) startsBoot() bool { return k == DHCPDiscover || k == BOOTPRequest }

// Event is one step of one machine's boot.
type Event struct {
	Time time.Time
	// MAC identifies the machine. File events may leave it empty: pxed's
	// recorder names them from the address first (internal/ipmap, which
	// knows the shared leases too); the Log itself falls back on the
	// addresses it saw acknowledged.
	MAC   net.HardwareAddr
	IP    netip.Addr
	Kind  Kind
	Proto string // "dhcp", "bootp", "tftp", "http"
	File  string
	Bytes int64
	Dur   time.Duration
	// Retransmits counts the TFTP packets sent again during a transfer.
	Retransmits int
	// Outcome is how the step ended, set by the server that knows: what
	// metrics count and the dashboard marks (see Result).
	Outcome Outcome
	// Detail is words for a person, never decided on: the architecture,
	// the reason a packet was ignored, why a file failed ("not found",
	// "TFTP timeout after block 812").
	Detail string
	// Client is what a DHCP request said of the machine (PXE, iPXE, arch, UUID).
	Client pxe.Client
	// Host is the name of the configured host the machine matched;
	// ClientName the host name it sent itself (DHCP option 12), as sent:
	// untrusted text, to be shown escaped.
	Host       string
	ClientName string
	// By is who caused the event when a person did ("dashboard
	// 192.0.2.7", "cli root@admin"), for Adopted and Action events; empty
	// for what machines and pxed do on their own.
	By string
	// Machine is the key the Log filed the event under: the MAC, or
	// "ip:ADDR" for a file fetched by an address pxed did not lease. Set by
	// the Log before subscribers see the event.
	Machine string
}

// Result is how the event's step ended: its Outcome, or, for an event of a
// failure kind left at OutcomeOK, its kind's failure (OutcomeError for
// FileFailed, OutcomeRefused for DHCPNak and BOOTPRefused), so that an emitter that names no
// outcome can never have a failure counted as a success.
func (e Event) Result() Outcome {
	if e.Outcome == OutcomeOK && int(e.Kind) < len(kinds) {
		return kinds[e.Kind].failure
	}
	return e.Outcome
}

// Recorder is the hook servers report to. Record must not block.
type Recorder interface {
	Record(Event)
}

// Tee records every event to each of rs in turn.
func Tee(rs ...Recorder) Recorder { return tee(rs) }

type tee []Recorder

func (t tee) Record(e Event) {
	for _, r := range t {
		r.Record(e)
	}
}

// Discard records nothing.
var Discard Recorder = discard{}

type discard struct{}

func (discard) Record(Event) {}

// Limits bound the Log's memory: events kept per machine, machines kept
// (the least recently seen is forgotten first), live subscribers and the
// events queued for each.
type Limits struct {
	PerMachine int
	// InstallerLines is how many InstallerLog events each machine keeps,
	// in a ring apart from its boot steps (PerMachine): an install logs
	// hundreds of lines, and they must not push its boot out of its
	// timeline.
	InstallerLines int
	Machines       int
	// Subscribers is how many live followers may subscribe at once;
	// SubscriberQueue how many events each may fall behind before it is
	// dropped.
	Subscribers     int
	SubscriberQueue int
}

// DefaultLimits keep 256 events and 128 installer lines for each of 4096
// machines, and up to 32 followers each at most 1024 events behind.
var DefaultLimits = Limits{PerMachine: 256, InstallerLines: 128, Machines: 4096, Subscribers: 32, SubscriberQueue: 1024}

// Log keeps recent events per machine in bounded memory.
type Log struct {
	limits Limits
	// OnBoot, if set, is called (without locks held) when a machine's boot
	// reaches its initrd, with the timeline of that boot.
	OnBoot func(mac string, b Boot)
	// Now is the clock a boot's verdict is judged by when its machine has
	// gone quiet (LoaderQuiet); time.Now when nil.
	Now func() time.Time

	mu       sync.Mutex
	machines map[string]*list.Element // MAC string → *machine in lru
	lru      *list.List               // front: most recently seen
	byIP     map[netip.Addr]string    // last addresses acknowledged (one per family) → MAC
	subs     map[*Subscription]struct{}
}

type machine struct {
	mac string
	// ips are the last addresses acknowledged, IPv4 and IPv6 (family()):
	// a dual-stack machine fetches over both, and is one machine.
	ips    [2]netip.Addr
	events []Event // ring buffer
	next   int
	full   bool
	// logs are its InstallerLog events, in a ring of their own.
	logs  ring
	sum   Summary
	stage stage // where its last boot stands; sum.State in words
}

// NewLog returns an empty Log with the given limits.
func NewLog(l Limits) *Log {
	if l.PerMachine <= 0 {
		l.PerMachine = DefaultLimits.PerMachine
	}
	if l.InstallerLines <= 0 {
		l.InstallerLines = DefaultLimits.InstallerLines
	}
	if l.Machines <= 0 {
		l.Machines = DefaultLimits.Machines
	}
	if l.Subscribers <= 0 {
		l.Subscribers = DefaultLimits.Subscribers
	}
	if l.SubscriberQueue <= 0 {
		l.SubscriberQueue = DefaultLimits.SubscriberQueue
	}
	return &Log{limits: l, machines: map[string]*list.Element{}, lru: list.New(),
		byIP: map[netip.Addr]string{}, subs: map[*Subscription]struct{}{}}
}

// Record stores e under its machine and passes it to the subscribers. It
// never waits for a subscriber.
func (g *Log) Record(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	// One form per address: a leased address has no zone, and an
	// IPv4-mapped one is the IPv4 client's (a dual-stack socket's view).
	e.IP = e.IP.Unmap().WithZone("")
	g.mu.Lock()
	var m *machine
	if len(e.MAC) > 0 {
		// Looked up without making a string: the serving path records
		// several events per request, nearly all of known machines.
		var b [3 * 16]byte
		m = g.touch(appendMAC(b[:0], e.MAC))
	} else {
		mac := ""
		if e.IP.IsValid() {
			mac = g.byIP[e.IP]
		}
		if mac == "" {
			mac = "ip:" + e.IP.String() // a file fetched by an address pxed did not lease
		}
		m = g.touch([]byte(mac))
	}
	mac := m.mac
	e.Machine = mac
	if f := family(e.IP); e.Kind.Acknowledges() && e.IP.IsValid() && e.IP != m.ips[f] {
		if g.byIP[m.ips[f]] == mac {
			delete(g.byIP, m.ips[f])
		}
		m.ips[f] = e.IP
		g.byIP[e.IP] = mac
	}
	if e.Kind == InstallerLog {
		m.logs.add(e, g.limits.InstallerLines)
	} else {
		m.add(e, g.limits.PerMachine)
	}
	m.update(e)
	g.publish(e)
	var boot Boot
	done := g.OnBoot != nil && e.Kind == FileServed && classify(e.File) == stepInitrd
	if done {
		boot = timeline(m.list())
	}
	g.mu.Unlock()
	if done {
		g.OnBoot(mac, boot)
	}
}

func (g *Log) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// touch returns the machine filed under key (a MAC as net.HardwareAddr
// formats it, or "ip:" and an address), made most recently seen; a new one
// when there is none, which takes the place (and the memory) of the least
// recently seen machine once the Log is full.
func (g *Log) touch(key []byte) *machine {
	if el, ok := g.machines[string(key)]; ok {
		g.lru.MoveToFront(el)
		return el.Value.(*machine)
	}
	var m *machine
	for g.lru.Len() >= g.limits.Machines {
		old := g.lru.Back()
		om := old.Value.(*machine)
		delete(g.machines, om.mac)
		for _, ip := range om.ips {
			if g.byIP[ip] == om.mac {
				delete(g.byIP, ip)
			}
		}
		g.lru.Remove(old)
		m = om
	}
	mac := string(key)
	if m == nil {
		m = &machine{}
	}
	clear(m.events) // drop what the events refer to
	clear(m.logs.events)
	*m = machine{mac: mac, events: m.events[:0], logs: ring{events: m.logs.events[:0]}, sum: Summary{MAC: mac}}
	g.machines[mac] = g.lru.PushFront(m)
	return m
}

// appendMAC appends mac as net.HardwareAddr.String does: lower-case hex
// bytes joined by colons.
func appendMAC(b []byte, mac net.HardwareAddr) []byte {
	const hex = "0123456789abcdef"
	for i, c := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return b
}

func (m *machine) add(e Event, limit int) {
	if len(m.events) < limit {
		m.events = append(m.events, e)
		return
	}
	m.events[m.next] = e
	m.next = (m.next + 1) % limit
	m.full = true
}

// list returns the events oldest first: its boot steps and its installer
// lines merged by time.
func (m *machine) list() []Event {
	var steps []Event
	if !m.full {
		steps = append([]Event(nil), m.events...)
	} else {
		steps = append(append([]Event(nil), m.events[m.next:]...), m.events[:m.next]...)
	}
	if len(m.logs.events) == 0 {
		return steps
	}
	return merge(steps, m.logs.list())
}

// ring is a bounded ring of events, the oldest overwritten first.
type ring struct {
	events []Event
	next   int
	full   bool
}

func (r *ring) add(e Event, limit int) {
	if len(r.events) < limit {
		r.events = append(r.events, e)
		return
	}
	r.events[r.next] = e
	r.next = (r.next + 1) % limit
	r.full = true
}

// list returns the events oldest first.
func (r *ring) list() []Event {
	if !r.full {
		return append([]Event(nil), r.events...)
	}
	return append(append([]Event(nil), r.events[r.next:]...), r.events[:r.next]...)
}

// merge merges two lists of events in time order into one, a's first of
// those recorded at the same time.
func merge(a, b []Event) []Event {
	out := make([]Event, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0].Time.Before(a[0].Time) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// Events returns a machine's recorded events, oldest first.
func (g *Log) Events(mac string) []Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	if el, ok := g.machines[strings.ToLower(mac)]; ok {
		return el.Value.(*machine).list()
	}
	return nil
}

// Machines returns the MACs of the machines known, most recently seen first.
func (g *Log) Machines() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, g.lru.Len())
	for el := g.lru.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*machine).mac)
	}
	return out
}

// family indexes machine.ips: 0 for IPv4, 1 for IPv6.
func family(a netip.Addr) int {
	if a.Is6() {
		return 1
	}
	return 0
}

// KindNamed is the kind whose String is name, for events read back from
// another pxed (internal/postgres shares them between instances by name,
// not by number, so that instances of two versions agree).
func KindNamed(name string) (Kind, bool) {
	for k := 1; k < len(kinds); k++ {
		if kinds[k].name == name {
			return Kind(k), true
		}
	}
	return 0, false
}
