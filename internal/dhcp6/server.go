package dhcp6

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"golang.org/x/net/ipv6"
	"golang.org/x/sync/errgroup"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/ifsock"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/logsink"
	"github.com/pxed/pxed/internal/ratelimit"
)

// Ports of RFC 8415 §7.2.
const (
	ServerPort = 547
	ClientPort = 546
)

// AllRelayAgentsAndServers is the link-scoped multicast address clients
// send to (RFC 8415 §7.1).
var AllRelayAgentsAndServers = netip.MustParseAddr("ff02::1:2")

// Server serves DHCPv6 on a set of interfaces. Responder and Alloc are
// required.
type Server struct {
	Responder *Responder
	Alloc     *lease.Allocator
	Logger    *slog.Logger
	// Workers per interface (default 64): each reads, decides, commits
	// and replies in turn, holding a 64 KiB buffer.
	Workers int
	// Port to listen on (default 547).
	Port int
	// Events, if set, is told of every request and its outcome.
	Events events.Recorder
	// RateLimit bounds the requests served per client DUID (on by
	// default); GlobalRate, if positive, those of all clients that are not
	// hosts together, per second.
	RateLimit  ratelimit.Limits
	GlobalRate float64

	stats  Stats
	limit  *ratelimit.PerClient
	global *ratelimit.Global
	links  []*link
}

// Stats returns the server's counters, live.
func (s *Server) Stats() *Stats { return &s.stats }

// rcvbuf is each socket's receive buffer.
const rcvbuf = 4 << 20

type link struct {
	name  string
	index int        // the interface's index, for its neighbour table
	addr  netip.Addr // global address; invalid when none
	conn  *net.UDPConn
	pc    *ipv6.PacketConn
}

func (l *link) close() { l.conn.Close() }

// Listen opens port 547 on each named interface and joins ff02::1:2 there.
// Port 547 needs privileges that pxed may drop once it is open. Linux
// only: elsewhere Listen fails with an error wrapping errors.ErrUnsupported.
func (s *Server) Listen(ifaces []string) error {
	if err := checkPlatform(); err != nil {
		return err
	}
	if len(ifaces) == 0 {
		return errors.New("no interface to serve DHCPv6 on (set interfaces in the config or pass --interface)")
	}
	links, err := ifsock.OpenEach(ifaces, s.open, (*link).close)
	if err != nil {
		return err
	}
	s.links = links
	return nil
}

func (s *Server) open(name string) (*link, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	port := s.Port
	if port == 0 {
		port = ServerPort
	}
	conn, err := ifsock.ListenUDP(ifsock.IPv6, name, port, rcvbuf)
	if err != nil {
		return nil, err
	}
	pc := ipv6.NewPacketConn(conn)
	if err := pc.JoinGroup(ifc, &net.UDPAddr{IP: AllRelayAgentsAndServers.AsSlice()}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("joining %s on %s: %w", AllRelayAgentsAndServers, name, err)
	}
	if err := pc.SetControlMessage(ipv6.FlagDst, true); err != nil {
		conn.Close()
		return nil, fmt.Errorf("asking for destination addresses on %s: %w", name, err)
	}
	l := &link{name: name, index: ifc.Index, addr: globalAddr(ifc), conn: conn, pc: pc}
	if !l.addr.IsValid() {
		s.logger().Warn("dhcp6: interface has no global IPv6 address: only relayed requests are served, and no boot URL is given", "iface", name)
	}
	return l, nil
}

// globalAddr is the interface's first global unicast IPv6 address.
func globalAddr(ifc *net.Interface) netip.Addr {
	addrs, err := ifc.Addrs()
	if err != nil {
		return netip.Addr{}
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil {
			if v, ok := netip.AddrFromSlice(n.IP); ok && v.IsGlobalUnicast() {
				return v
			}
		}
	}
	return netip.Addr{}
}

// Serve serves on the sockets Listen opened (opening them first if it was
// not called) until ctx ends; then it returns once every request in hand
// is done, and closes them.
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
	s.limit = ratelimit.NewPerClient(s.RateLimit)
	s.global = ratelimit.NewGlobal(s.GlobalRate)
	g, ctx := errgroup.WithContext(ctx)
	workers := s.Workers
	if workers <= 0 {
		workers = 64
	}
	for _, l := range links {
		s.logger().Info("dhcp6 serving", "iface", l.name, "ip", l.addr)
		for range workers {
			g.Go(func() error { return s.work(ctx, l) })
		}
	}
	g.Go(func() error {
		<-ctx.Done()
		for _, l := range links {
			l.conn.SetReadDeadline(time.Unix(1, 0))
		}
		return nil
	})
	return g.Wait()
}

func (s *Server) logger() *slog.Logger { return logsink.Or(s.Logger) }

// work is one worker's loop; stopping ends its read with an error. It
// reads the datagram and its destination (IPV6_PKTINFO, asked for in open)
// into buffers of its own, allocating nothing per datagram.
func (s *Server) work(ctx context.Context, l *link) error {
	buf := make([]byte, 64<<10)
	oob := ipv6.NewControlMessage(ipv6.FlagDst)
	for {
		n, oobn, _, from, err := l.conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading on %s: %w", l.name, err)
		}
		s.handle(ctx, l, buf[:n], from, unicastDst(oob[:oobn]))
	}
}

// unicastDst reports whether the control messages of a datagram say it
// was sent to a unicast address (not to ff02::1:2).
func unicastDst(oob []byte) bool {
	var cm ipv6.ControlMessage
	if cm.Parse(oob) != nil || cm.Dst == nil {
		return false
	}
	return !cm.Dst.IsMulticast()
}

// handle serves one datagram: refuse what is malformed or nested too
// deep, admit it past the rate limits, decide, make the leases durable,
// reply, and record what became of it.
func (s *Server) handle(ctx context.Context, l *link, pkt []byte, from netip.AddrPort, unicast bool) {
	s.stats.Received.Add(1)
	msg, req, ok := s.parse(ctx, l, pkt, from)
	if !ok {
		return
	}
	if k := s.admit(req, from, msg.IsRelay()); k != NotDropped {
		// Counted, not logged: a flood would fill the log.
		s.stats.Dropped.add(k)
		return
	}
	start := time.Now()
	d := s.Responder.Respond(msg, s.ingress(l, req, msg.IsRelay(), from, unicast))
	attrs := append(requestAttrs(l.name, req, d), relayAttrs(msg)...)
	if !s.commit(ctx, req, d, attrs) {
		return
	}
	if d.Exhausted {
		s.stats.Exhausted.Add(1)
	}
	if d.Reply == nil {
		s.noReply(ctx, req, d, attrs)
		return
	}
	s.reply(ctx, l, req, d, from, attrs, start)
}

// parse refuses what is malformed before and after insomniacslk/dhcp reads
// it, counting and (at debug level) logging the reason; req is the client's
// message inside any relay messages.
func (s *Server) parse(ctx context.Context, l *link, pkt []byte, from netip.AddrPort) (msg dhcpv6.DHCPv6, req *dhcpv6.Message, ok bool) {
	log := s.logger()
	if rj := parseable(pkt); !rj.ok() {
		s.stats.Malformed.Add(1)
		s.stats.Dropped.add(rj.kind)
		if log.Enabled(ctx, slog.LevelDebug) {
			log.Debug("dhcp6 packet dropped", "iface", l.name, "from", from.String(), "drop", rj.kind.String(), "reason", "malformed: "+rj.why)
		}
		return nil, nil, false
	}
	msg, err := dhcpv6.FromBytes(pkt)
	if err == nil {
		req, err = msg.GetInnerMessage()
	}
	if err != nil {
		s.stats.Malformed.Add(1)
		s.stats.Dropped.add(DropMalformed)
		log.Debug("dhcp6 packet dropped", "iface", l.name, "from", from.String(), "drop", DropMalformed.String(), "reason", "malformed: "+err.Error())
		return nil, nil, false
	}
	return msg, req, true
}

// ingress says where req came in. A client on the link whose DUID names no
// MAC (iPXE's DUID-UUID) is named by what the kernel's neighbour table
// learnt of its address (ClientMAC).
func (s *Server) ingress(l *link, req *dhcpv6.Message, relayed bool, from netip.AddrPort, unicast bool) Ingress {
	in := Ingress{Iface: l.name, Addr: l.addr, Unicast: unicast, Peer: from.Addr().Unmap()}
	if !relayed && in.Peer.IsLinkLocalUnicast() && duidMAC(clientDUID(req)) == nil {
		in.Neighbour = neighbour(l.index, in.Peer)
	}
	return in
}

// commit records every lease of d before its Reply leaves; false (and
// nothing sent) when one is not recorded: RFC 8415 §18.3.2.
func (s *Server) commit(ctx context.Context, req *dhcpv6.Message, d Decision, attrs []slog.Attr) bool {
	for _, c := range d.Commit {
		if err := s.Alloc.Commit(ctx, c); err != nil {
			s.stats.StoreFailed.Add(1)
			s.stats.countMessage(req.MessageType, ResultStoreFailed)
			s.logger().LogAttrs(ctx, slog.LevelWarn, "dhcp6 lease not recorded, no reply",
				append(attrs, slog.String("ip", c.IP.String()), slog.Any("err", err))...)
			s.record(req, d, "lease not recorded: "+err.Error())
			return false
		}
	}
	return true
}

// noReply counts, logs and records a request the decision answers with
// nothing.
func (s *Server) noReply(ctx context.Context, req *dhcpv6.Message, d Decision, attrs []slog.Attr) {
	s.stats.Ignored.Add(1)
	s.stats.countMessage(req.MessageType, ResultNoReply)
	level := slog.LevelDebug
	if len(d.Commit) > 0 {
		level = slog.LevelInfo
	}
	if d.Drop != NotDropped {
		s.stats.Dropped.add(d.Drop)
		attrs = append(attrs, slog.String("drop", d.Drop.String()))
	}
	s.logger().LogAttrs(ctx, level, "dhcp6 no reply", append(attrs, slog.String("reason", d.Reason))...)
	s.record(req, d, d.Reason)
}

// reply sends d's Reply (to the client on its port, or as a Relay-reply to
// the relay on the server port: RFC 8415 §19.3), then counts, records and
// logs it.
func (s *Server) reply(ctx context.Context, l *link, req *dhcpv6.Message, d Decision, from netip.AddrPort, attrs []slog.Attr, start time.Time) {
	to := netip.AddrPortFrom(from.Addr(), ClientPort)
	if d.Relayed {
		to = netip.AddrPortFrom(from.Addr(), ServerPort)
	}
	log := s.logger()
	if _, err := l.conn.WriteToUDPAddrPort(d.Reply.ToBytes(), to); err != nil {
		s.stats.SendFailed.Add(1)
		s.stats.countMessage(req.MessageType, ResultSendFailed)
		log.LogAttrs(ctx, slog.LevelWarn, "dhcp6 reply not sent", append(attrs, slog.String("to", to.String()), slog.Any("err", err))...)
		s.record(req, d, "reply not sent: "+err.Error())
		return
	}
	s.stats.Replied.Add(1)
	s.stats.countMessage(req.MessageType, resultOf(d))
	s.record(req, d, "")
	var ips []string
	for _, a := range d.Addrs {
		ips = append(ips, a.String())
	}
	log.LogAttrs(ctx, slog.LevelInfo, "dhcp6", append(attrs, slog.String("reply", d.Message.MessageType.String()),
		slog.Any("ip", ips), slog.String("file", d.Message.Options.BootFileURL()), slog.String("result", d.Reason),
		slog.String("to", to.String()), slog.Duration("dur", time.Since(start)))...)
}

// admit applies the rate limits: per client DUID (a digest of it, so any
// DUID fits the limiter's key), then, for clients that are not hosts, the
// global one. relayed says req came inside Relay-forward messages.
func (s *Server) admit(req *dhcpv6.Message, from netip.AddrPort, relayed bool) Drop {
	src := from.Addr().As16()
	id := src[:]
	duid := clientDUID(req)
	if duid != nil {
		id = duid
	}
	// The MAC as far as the message tells it, without the neighbour
	// table: the limits bound the lookups too.
	who := Identity{DUID: duid}
	if !relayed {
		who.Peer = from.Addr()
		who.Peer = who.Peer.Unmap()
	}
	mac, _ := ClientMAC(who)
	h := fnv.New128a()
	h.Write(id)
	now := time.Now()
	if !s.limit.Allow(h.Sum(nil), now) {
		s.stats.RateLimited.Add(1)
		return DropRateLimited
	}
	if s.global != nil {
		if mac == nil || !s.Responder.Known(mac) {
			if !s.global.Allow(now) {
				s.stats.GlobalLimited.Add(1)
				return DropGlobalLimited
			}
		}
	}
	return NotDropped
}

// clientDUID is the Client Identifier (option 1) of req, nil for none.
func clientDUID(req *dhcpv6.Message) []byte {
	if o := req.Options.GetOne(dhcpv6.OptionClientID); o != nil {
		return o.ToBytes()
	}
	return nil
}

// requestAttrs are the log attributes every line about req carries.
func requestAttrs(iface string, req *dhcpv6.Message, d Decision) []slog.Attr {
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.String("iface", iface), slog.String("mac", d.MAC.String()),
		slog.String("xid", req.TransactionID.String()), slog.String("msg", req.MessageType.String()))
	if d.MAC != nil {
		attrs = append(attrs, slog.String("mac_from", d.MACFrom.String()))
	}
	if o := req.Options.GetOne(dhcpv6.OptionClientID); o != nil {
		attrs = append(attrs, slog.String("duid", hex.EncodeToString(o.ToBytes())))
	}
	if d.Client.HasArch {
		attrs = append(attrs, slog.String("arch", d.Client.Arch.String()))
	}
	if d.Host != "" {
		attrs = append(attrs, slog.String("host", d.Host))
	}
	return attrs
}

// record tells Events of a request and of its reply, or of why none was
// sent, under the client's MAC: the same machine timeline as its DHCPv4
// requests. A client without a known MAC has no timeline.
func (s *Server) record(req *dhcpv6.Message, d Decision, noReply string) {
	if s.Events == nil || len(d.MAC) == 0 {
		return
	}
	now := time.Now()
	in := events.Event{Time: now, MAC: d.MAC, Proto: "dhcp6", Client: d.Client, Host: d.Host}
	if d.Client.HasArch {
		in.Detail = d.Client.Arch.String()
	}
	switch req.MessageType {
	case dhcpv6.MessageTypeSolicit:
		in.Kind = events.DHCPDiscover
	case dhcpv6.MessageTypeRequest, dhcpv6.MessageTypeRenew, dhcpv6.MessageTypeRebind, dhcpv6.MessageTypeConfirm:
		in.Kind = events.DHCPRequest
	default:
		in.Kind, in.Detail = events.DHCPIgnored, req.MessageType.String()
		if d.Reason != "" {
			in.Detail += ": " + d.Reason
		}
		s.Events.Record(in)
		return
	}
	s.Events.Record(in)
	out := events.Event{Time: now, MAC: d.MAC, Proto: "dhcp6", Client: d.Client, Host: d.Host}
	if len(d.Addrs) > 0 {
		out.IP = d.Addrs[0]
	}
	switch {
	case d.Reply == nil || noReply != "":
		out.Kind, out.Detail = events.DHCPIgnored, noReply
	case d.Refused:
		out.Kind, out.Detail = events.DHCPNak, d.Reason
	case d.Message.MessageType == dhcpv6.MessageTypeAdvertise:
		out.Kind, out.File = events.DHCPOffer, d.Message.Options.BootFileURL()
	default:
		out.Kind, out.File = events.DHCPAck, d.Message.Options.BootFileURL()
	}
	s.Events.Record(out)
}
