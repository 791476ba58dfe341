package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/sync/errgroup"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/ifsock"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/logsink"
	"github.com/pxed/pxed/internal/ratelimit"
)

// Server serves DHCP on a set of interfaces. Its zero value is not usable:
// Responder and Alloc are required.
type Server struct {
	Responder *Responder
	Alloc     *lease.Allocator
	Logger    *slog.Logger
	// Workers per interface, at most (default 1024; a few run at rest,
	// more start while the others are busy: pool). Each worker reads, decides,
	// commits and replies in turn, so this bounds the requests in hand;
	// a REQUEST keeps its worker until its lease is durable, and the
	// commits waiting together share one disk sync. Too few workers stop
	// reading while syncs are slow (docs/performance.md has the
	// measurements behind the default).
	Workers int
	// Port to listen on (default 67; tests use others).
	Port int
	// BootPort is where ProxyDHCP requests are answered (default 4011,
	// BootServerPort; negative: not at all).
	BootPort int
	// Events, if set, is told of every request and its outcome.
	Events events.Recorder
	// RateLimit bounds the requests served per client MAC (on by default)
	// and, if set, for all unknown clients together.
	RateLimit RateLimit
	// Offered, if set, is told of each pool address offered (after the
	// OFFER is sent): the conflict prober counts whether it was probed and
	// refills its window. It must not block.
	Offered func(netip.Addr)

	stats Stats
	// buckets are the rate limits in force: RateLimit's when Serve starts,
	// then SetRateLimit's.
	buckets   atomic.Pointer[buckets]
	exhausted warnEvery // one pool-exhausted warning per 10 s
	links     []*link   // opened by Listen
}

// buckets are a RateLimit's token buckets.
type buckets struct {
	rl     RateLimit
	perMAC *ratelimit.PerClient
	global *ratelimit.Global
}

// SetRateLimit puts rl in force from the next request on (a reloaded
// configuration's): new limits start with full buckets; the same limits
// again keep the buckets they have.
func (s *Server) SetRateLimit(rl RateLimit) {
	if old := s.buckets.Load(); old != nil && old.rl == rl {
		return
	}
	s.buckets.Store(newBuckets(rl))
}

func newBuckets(rl RateLimit) *buckets {
	return &buckets{rl: rl, perMAC: ratelimit.NewPerClient(rl.limits()), global: ratelimit.NewGlobal(rl.Global)}
}

// Stats returns the server's counters, live.
func (s *Server) Stats() *Stats { return &s.stats }

// Listen opens the sockets of each named interface: UDP ports 67 and 4011,
// and the packet socket for replies to clients without an address. Those
// need privileges (a port below 1024, CAP_NET_RAW) that pxed may drop once
// they are open; Serve then serves on them. They are Linux's: on other
// systems Listen fails with an error that wraps errors.ErrUnsupported.
func (s *Server) Listen(ifaces []string) error {
	if err := checkPlatform(); err != nil {
		return err
	}
	if len(ifaces) == 0 {
		return errors.New("no interface to serve DHCP on (set interfaces in the config or pass --interface)")
	}
	links, err := ifsock.OpenEach(ifaces, s.open, (*link).close)
	if err != nil {
		return err
	}
	s.links = links
	return nil
}

// Serve serves on each named interface until ctx ends, on the sockets
// Listen opened, or opens them first if it was not called (on Linux only,
// as Listen). Once ctx ends it returns nil, but only after every request in
// hand has its lease committed and its reply sent (or not), and then it
// closes the sockets.
func (s *Server) Serve(ctx context.Context, ifaces []string) error {
	if s.links == nil {
		if err := s.Listen(ifaces); err != nil {
			return err
		}
	}
	links := s.links
	defer func() {
		for _, l := range links {
			l.close()
		}
	}()
	// RateLimit's, unless SetRateLimit came first.
	s.buckets.CompareAndSwap(nil, newBuckets(s.RateLimit))
	s.exhausted.interval = 10 * time.Second
	g, ctx := errgroup.WithContext(ctx)
	for _, l := range links {
		s.logger().Info("dhcp serving", "iface", l.name, "ip", l.ip)
		p := &pool{max: int32(s.workers()), spare: spareReaders}
		p.total.Store(int32(min(p.spare, p.max)))
		for range p.total.Load() {
			g.Go(func() error { return s.work(ctx, g, p, l, l.conn, false) })
		}
		if l.bootConn != nil {
			// ProxyDHCP requests come one per booting client: a few workers.
			p := &pool{max: 4, spare: 4}
			p.total.Store(4)
			for range 4 {
				g.Go(func() error { return s.work(ctx, g, p, l, l.bootConn, true) })
			}
		}
	}
	g.Go(func() error { return s.stopReading(ctx, links) })
	g.Go(func() error { return s.prune(ctx) })
	return g.Wait()
}

// stopReading waits for ctx to end, then wakes every worker blocked in a
// read: a read deadline in the past fails the reads in progress and every
// later one. The workers wait without a deadline of their own, so an idle
// server sets no timers; the sockets stay open for the replies of the
// requests still in hand, and Serve closes them once those are done.
func (s *Server) stopReading(ctx context.Context, links []*link) error {
	<-ctx.Done()
	past := time.Unix(1, 0)
	for _, l := range links {
		l.conn.SetReadDeadline(past)
		if l.bootConn != nil {
			l.bootConn.SetReadDeadline(past)
		}
	}
	return nil
}

// prune lets the allocator drop lapsed offers and reclaim ended leases
// every 10 s until ctx ends.
func (s *Server) prune(ctx context.Context) error {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.Alloc.Prune()
		}
	}
}

func (s *Server) logger() *slog.Logger {
	return logsink.Or(s.Logger)
}

func (s *Server) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return 1024
}

// rcvbuf is each socket's receive buffer: 8 MiB holds a burst of thousands
// of requests while the workers wait for a disk sync.
const rcvbuf = 8 << 20

// link is one served interface.
type link struct {
	name     string
	ip       netip.Addr
	conn     *net.UDPConn
	bootConn *net.UDPConn // port 4011; nil when off
	raw      *linkSender  // nil when packet sockets are not allowed
}

func (l *link) close() {
	l.conn.Close()
	if l.bootConn != nil {
		l.bootConn.Close()
	}
	if l.raw != nil {
		l.raw.Close()
	}
}

func (s *Server) open(name string) (*link, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	ip, err := interfaceIPv4(ifc)
	if err != nil {
		return nil, err
	}
	port := s.Port
	if port == 0 {
		port = dhcpv4.ServerPort
	}
	conn, err := ifsock.ListenUDP(ifsock.IPv4, name, port, rcvbuf)
	if err != nil {
		return nil, err
	}
	l := &link{name: name, ip: ip, conn: conn}
	if bp := s.BootPort; bp >= 0 {
		if bp == 0 {
			bp = BootServerPort
		}
		if l.bootConn, err = ifsock.ListenUDP(ifsock.IPv4, name, bp, rcvbuf); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if raw, err := newLinkSender(ifc.Index); err == nil {
		l.raw = raw
	} else {
		s.logger().Warn("no packet socket: replies to clients without an address will be broadcast", "iface", name, "err", err)
	}
	return l, nil
}

func interfaceIPv4(ifc *net.Interface) (netip.Addr, error) {
	addrs, err := ifc.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("addresses of %s: %w", ifc.Name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if v, ok := netip.AddrFromSlice(n.IP.To4()); ok {
				return v, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address: pxed answers from it", ifc.Name)
}

// spareReaders is how many workers of an interface wait to read when
// none is busy: the pool's size at rest.
const spareReaders = 4

// pool is the workers of one socket. It grows on demand up to max: a
// worker that takes a request leaves no one reading if all the others are
// busy (waiting for a disk sync, most often), and then starts another
// worker first. It shrinks back to spare idle readers as requests end.
// At rest a few workers, warm and close together in the caches, serve
// every request, instead of all of them (1,024 by default) taking turns
// and each growing its stack again after each collection shrank it.
type pool struct {
	max, spare int32
	total      atomic.Int32 // workers running
	reading    atomic.Int32 // of which waiting for a request
}

// work is one worker's loop on one interface: it reads from conn and
// replies through it (udpIO), starting another worker in g when it takes a
// request and no other is left reading (pool). Its reads have no
// deadline: stopReading ends them when ctx ends, and the error they then
// return is the clean stop.
func (s *Server) work(ctx context.Context, g *errgroup.Group, p *pool, l *link, conn *net.UDPConn, boot bool) error {
	io, err := newUDPIO(conn)
	if err != nil {
		p.total.Add(-1)
		return fmt.Errorf("socket of %s: %w", l.name, err)
	}
	buf := make([]byte, 1500)
	for {
		p.reading.Add(1)
		n, from, err := io.readFrom(buf)
		if p.reading.Add(-1) == 0 && err == nil {
			p.grow(func() error { return s.work(ctx, g, p, l, conn, boot) }, g)
		}
		if err != nil {
			p.total.Add(-1)
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading on %s: %w", l.name, err)
		}
		s.handle(ctx, l, io, buf[:n], from, boot)
		if p.reading.Load() >= p.spare && p.shrink() {
			return nil
		}
	}
}

// grow starts another worker, unless max are running.
func (p *pool) grow(work func() error, g *errgroup.Group) {
	for {
		t := p.total.Load()
		if t >= p.max {
			return
		}
		if p.total.CompareAndSwap(t, t+1) {
			g.Go(work)
			return
		}
	}
}

// shrink ends the calling worker, unless that would leave fewer than
// spare running.
func (p *pool) shrink() bool {
	for {
		t := p.total.Load()
		if t <= p.spare {
			return false
		}
		if p.total.CompareAndSwap(t, t-1) {
			return true
		}
	}
}

// handle serves one datagram: admit it past the rate limits, parse it,
// decide, make the lease durable, and then, by what became of it, count,
// log and record it (each ending in one call below).
func (s *Server) handle(ctx context.Context, l *link, io *udpIO, pkt []byte, from netip.AddrPort, boot bool) {
	s.stats.Received.Add(1)
	if !s.admit(pkt) {
		return
	}
	req, foreign, err := parse(pkt)
	if err != nil {
		s.stats.Malformed.Add(1)
		s.logger().Debug("dhcp packet dropped", "iface", l.name, "from", from.String(), "reason", "malformed: "+err.Error())
		return
	}
	x := &exchange{req: req, start: time.Now(), foreign: foreign}
	x.d = s.Responder.Respond(req, Ingress{Iface: l.name, ServerIP: l.ip, BootServer: boot, Size: len(pkt)})
	x.attrs = requestAttrs(l.name, req, x.d)
	switch err := s.commit(ctx, x); {
	case errors.Is(err, lease.ErrConflict):
		s.conflicted(x, err)
	case err != nil:
		s.notRecorded(ctx, x, err)
	case x.d.Reply == nil:
		s.unanswered(ctx, x)
	default:
		s.reply(ctx, l, io, from, boot, x)
		if x.d.Pooled.IsValid() && s.Offered != nil {
			s.Offered(x.d.Pooled)
		}
	}
}

// parse reads a DHCP or BOOTP request. foreign is pkt itself when it is a
// BOOTP request whose vendor area is not RFC 1497's (foreignVendor): its
// reply must carry that area back (echoVendor).
func parse(pkt []byte) (req *dhcpv4.DHCPv4, foreign []byte, err error) {
	req, err = dhcpv4.FromBytes(pkt)
	if err != nil {
		if fixed, ok := foreignVendor(pkt); ok {
			if r, ferr := dhcpv4.FromBytes(fixed); ferr == nil {
				return r, pkt, nil
			}
		}
		return nil, nil, err
	}
	return req, nil, nil
}

// exchange is one parsed request on its way through handle.
type exchange struct {
	req   *dhcpv4.DHCPv4
	d     Decision
	start time.Time
	// foreign is the request as it came, when it is a BOOTP request whose
	// vendor area is not RFC 1497's (foreignVendor): its reply carries
	// that area back (echoVendor).
	foreign []byte
	// attrs are the request's log attributes, typed (LogAttrs): a line per
	// reply is on the hot path, and values passed as `any` would each be
	// allocated.
	attrs []slog.Attr
}

// admit applies the rate limits before the packet is parsed: the per-MAC
// bucket first, so that one flooding MAC spends no tokens of the shared
// one; the host lookup only when there is a shared one.
func (s *Server) admit(pkt []byte) bool {
	mac := chaddr(pkt)
	if mac == nil {
		return true
	}
	now := time.Now()
	l := s.buckets.Load()
	if !l.perMAC.Allow(mac, now) {
		s.stats.RateLimited.Add(1)
		return false
	}
	if l.global != nil && !s.Responder.Known(mac) && !l.global.Allow(now) {
		s.stats.GlobalLimited.Add(1)
		return false
	}
	return true
}

// requestAttrs are the log attributes every line about req carries.
func requestAttrs(iface string, req *dhcpv4.DHCPv4, d Decision) []slog.Attr {
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.String("iface", iface), slog.String("mac", req.ClientHWAddr.String()),
		slog.String("xid", req.TransactionID.String()), slog.String("msg", messageName(req)))
	if d.Client.HasArch {
		attrs = append(attrs, slog.String("arch", d.Client.Arch.String()))
	}
	if d.Host != "" {
		attrs = append(attrs, slog.String("host", d.Host))
	}
	return attrs
}

// messageName is the type of a request or reply as logs show it: the DHCP
// message type, or BOOTREQUEST and BOOTREPLY for BOOTP (no option 53).
func messageName(m *dhcpv4.DHCPv4) string {
	mt := m.MessageType()
	switch {
	case mt != dhcpv4.MessageTypeNone:
		return mt.String()
	case m.OpCode == dhcpv4.OpcodeBootReply:
		return "BOOTREPLY"
	}
	return "BOOTREQUEST"
}

// commit makes the decision's lease durable before anything is sent (RFC
// 2131 §4.3.2). When the store refuses it because another client holds the
// address, the NAK the decision prepared for that case replaces the reply
// and commit returns nil; without one it returns lease.ErrConflict, and
// the request goes unanswered. Never an ACK for an address another client
// holds: the NAK makes the client start over.
func (s *Server) commit(ctx context.Context, x *exchange) error {
	if x.d.Commit == nil {
		return nil
	}
	err := s.Alloc.Commit(ctx, *x.d.Commit)
	if !errors.Is(err, lease.ErrConflict) {
		return err
	}
	s.stats.Conflicts.Add(1)
	s.logger().LogAttrs(ctx, slog.LevelInfo, "dhcp address taken by another client meanwhile",
		append(x.attrs, slog.String("ip", x.d.Commit.IP.String()), slog.Bool("nak", x.d.Conflict != nil))...)
	if x.d.Conflict == nil {
		return err
	}
	x.d.Reply, x.d.Commit, x.d.Reason = x.d.Conflict, nil, "conflict nak: "+x.d.Commit.IP.String()+" taken meanwhile"
	return nil
}

// conflicted ends a request whose lease the store gave to another client,
// with no NAK prepared: silence.
func (s *Server) conflicted(x *exchange, err error) {
	s.stats.countMessage(x.req.MessageType(), ResultConflict)
	s.record(x.req, x.d, "lease conflict: "+err.Error())
}

// notRecorded ends a request whose lease could not be made durable (disk
// full, database down): no reply, since an ACK must never announce a lease
// that is not durable.
func (s *Server) notRecorded(ctx context.Context, x *exchange, err error) {
	s.stats.countMessage(x.req.MessageType(), ResultStoreFailed)
	s.logger().LogAttrs(ctx, slog.LevelWarn, "dhcp lease not recorded, no reply",
		append(x.attrs, slog.String("ip", x.d.Commit.IP.String()), slog.Any("err", err))...)
	s.record(x.req, x.d, "lease not recorded: "+err.Error())
}

// unanswered ends a request the decision does not answer: a DECLINE or
// RELEASE (whose lease is now committed), or one ignored for its Reason.
// An exhausted pool is a warning, once per interval however often it
// comes.
func (s *Server) unanswered(ctx context.Context, x *exchange) {
	s.stats.countMessage(x.req.MessageType(), ResultNoReply)
	log := s.logger()
	if x.d.Exhausted {
		s.stats.Exhausted.Add(1)
		if ok, held := s.exhausted.allow(time.Now()); ok {
			log.LogAttrs(ctx, slog.LevelWarn, "dhcp pool exhausted: no offer",
				append(x.attrs, slog.String("reason", x.d.Reason), slog.Uint64("suppressed", held))...)
		}
	}
	switch {
	case x.d.Commit != nil:
		log.LogAttrs(ctx, slog.LevelInfo, "dhcp", append(x.attrs, slog.String("result", x.d.Reason), slog.String("ip", x.d.Commit.IP.String()))...)
	case x.d.Refused != BOOTPAnswered:
		// A refused BOOTP client asks again and again and never learns
		// why: the operator is told, at the level of a reply.
		s.stats.countRefused(x.d.Refused)
		log.LogAttrs(ctx, slog.LevelInfo, "dhcp bootp refused", append(x.attrs, slog.String("refused", x.d.Refused.Label()), slog.String("reason", x.d.Reason))...)
	default:
		log.LogAttrs(ctx, slog.LevelDebug, "dhcp no reply", append(x.attrs, slog.String("reason", x.d.Reason))...)
	}
	s.record(x.req, x.d, x.d.Reason)
}

// reply sends the decision's reply where RFC 2131 §4.1 says (Route),
// through io, the socket the request came in on; a ProxyDHCP request is
// answered where it came from, from port 4011.
func (s *Server) reply(ctx context.Context, l *link, io *udpIO, from netip.AddrPort, boot bool, x *exchange) {
	dest := Route(x.req, x.d.Reply)
	if boot {
		dest = Destination{Kind: KindUnicast, Addr: from}
	}
	out := x.d.Reply.ToBytes()
	if x.foreign != nil {
		out = echoVendor(out, x.foreign)
	}
	if err := s.send(l, io, dest, out); err != nil {
		s.stats.countMessage(x.req.MessageType(), ResultSendFailed)
		s.logger().LogAttrs(ctx, slog.LevelWarn, "dhcp reply not sent", append(x.attrs, slog.String("to", dest.Addr.String()), slog.Any("err", err))...)
		return
	}
	s.record(x.req, x.d, "")
	if r, ok := replyResult(x.d); ok {
		s.stats.countMessage(x.req.MessageType(), r)
	}
	s.logger().LogAttrs(ctx, slog.LevelInfo, "dhcp", append(x.attrs, slog.String("reply", messageName(x.d.Reply)),
		slog.String("ip", ipString(x.d.Reply.YourIPAddr)), slog.String("file", x.d.Reply.BootFileName), slog.String("result", x.d.Reason),
		slog.String("to", dest.Addr.String()), slog.Duration("dur", time.Since(x.start)))...)
}

func ipString(ip net.IP) string {
	if ip == nil || ip.IsUnspecified() {
		return ""
	}
	return ip.String()
}

func (s *Server) send(l *link, io *udpIO, d Destination, out []byte) error {
	if d.Kind == KindHardware {
		if l.raw != nil {
			return l.raw.send(d.MAC, netip.AddrPortFrom(l.ip, dhcpv4.ServerPort), d.Addr, out)
		}
		d.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), dhcpv4.ClientPort)
	}
	return io.writeTo(out, d.Addr)
}

// record tells Events of a request and of its reply, or of why none was sent.
func (s *Server) record(req *dhcpv4.DHCPv4, d Decision, noReply string) {
	if s.Events == nil {
		return
	}
	now := time.Now()
	if req.MessageType() == dhcpv4.MessageTypeNone {
		s.Events.Record(bootpEvent(now, req, d, events.BOOTPRequest))
		s.Events.Record(bootpOutcome(now, req, d, noReply))
		return
	}
	// Option 12 as the client sent it (at most 255 bytes): the dashboard
	// shows it, escaped, beside the name the lease records.
	in := events.Event{Time: now, MAC: req.ClientHWAddr, Proto: "dhcp", IP: ip4(req.ClientIPAddr), Client: d.Client,
		Host: d.Host, ClientName: req.HostName()}
	if d.Client.HasArch {
		in.Detail = d.Client.Arch.String()
	}
	switch req.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		in.Kind = events.DHCPDiscover
	case dhcpv4.MessageTypeRequest:
		in.Kind = events.DHCPRequest
		if r := ip4(req.RequestedIPAddress()); r.IsValid() {
			in.IP = r
		}
	default:
		in.Kind = events.DHCPIgnored
		in.Detail = req.MessageType().String()
		if d.Reason != "" {
			in.Detail += ": " + d.Reason
		}
		s.Events.Record(in)
		return
	}
	s.Events.Record(in)
	out := events.Event{Time: now, MAC: req.ClientHWAddr, Proto: "dhcp", Client: d.Client, Host: d.Host}
	switch {
	case d.Reply == nil || noReply != "":
		out.Kind, out.Detail = events.DHCPIgnored, noReply
	case d.Proxy && d.Reply.MessageType() == dhcpv4.MessageTypeOffer:
		out.Kind, out.File = events.ProxyOffer, d.Reply.BootFileName
	case d.Proxy && d.Reply.MessageType() == dhcpv4.MessageTypeAck:
		out.Kind, out.IP, out.File = events.ProxyAck, ip4(d.Reply.ClientIPAddr), d.Reply.BootFileName
	case d.Reply.MessageType() == dhcpv4.MessageTypeOffer:
		out.Kind, out.IP, out.File = events.DHCPOffer, ip4(d.Reply.YourIPAddr), d.Reply.BootFileName
	case d.Reply.MessageType() == dhcpv4.MessageTypeAck:
		out.Kind, out.IP, out.File = events.DHCPAck, ip4(d.Reply.YourIPAddr), d.Reply.BootFileName
	case d.Reply.MessageType() == dhcpv4.MessageTypeNak:
		out.Kind, out.Detail = events.DHCPNak, d.Reason
	default:
		return
	}
	s.Events.Record(out)
}

// bootpEvent is an event of kind k about BOOTP request req: filed under
// protocol "bootp", so that the timeline and the dashboard tell it from
// DHCP.
func bootpEvent(now time.Time, req *dhcpv4.DHCPv4, d Decision, k events.Kind) events.Event {
	e := events.Event{Time: now, MAC: req.ClientHWAddr, Proto: "bootp", Kind: k, Client: d.Client, Host: d.Host}
	if k == events.BOOTPRequest {
		e.IP, e.ClientName = ip4(req.ClientIPAddr), req.HostName()
	}
	return e
}

// bootpOutcome is the event of what became of BOOTP request req: its
// BOOTREPLY, its refusal (typed, OutcomeRefused), or no reply for another
// reason (noReply: the lease could not be recorded).
func bootpOutcome(now time.Time, req *dhcpv4.DHCPv4, d Decision, noReply string) events.Event {
	switch {
	case d.Reply != nil && noReply == "":
		e := bootpEvent(now, req, d, events.BOOTPReply)
		e.IP, e.File = ip4(d.Reply.YourIPAddr), d.Reply.BootFileName
		return e
	case d.Refused != BOOTPAnswered:
		e := bootpEvent(now, req, d, events.BOOTPRefused)
		e.Outcome, e.Detail = events.OutcomeRefused, d.Reason
		return e
	}
	e := bootpEvent(now, req, d, events.DHCPIgnored)
	e.Outcome, e.Detail = events.OutcomeError, noReply
	if noReply == "" {
		e.Outcome, e.Detail = events.OutcomeOK, d.Reason
	}
	return e
}

// replyResult is what a sent reply makes of its request, for the counts:
// false for a reply type Respond does not build.
func replyResult(d Decision) (Result, bool) {
	switch d.Reply.MessageType() {
	case dhcpv4.MessageTypeNone:
		return ResultBootReply, true
	case dhcpv4.MessageTypeOffer:
		if d.Proxy {
			return ResultProxyOffer, true
		}
		return ResultOffer, true
	case dhcpv4.MessageTypeAck:
		if d.Proxy {
			return ResultProxyAck, true
		}
		return ResultAck, true
	case dhcpv4.MessageTypeNak:
		return ResultNak, true
	}
	return 0, false
}
