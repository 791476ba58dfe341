package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/sync/errgroup"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/lease"
)

// Server serves DHCP on a set of interfaces. Its zero value is not usable:
// Responder and Alloc are required.
type Server struct {
	Responder *Responder
	Alloc     *lease.Allocator
	Logger    *slog.Logger
	// Workers per interface (default 1024). Each worker reads, decides,
	// commits and replies in turn, so this bounds the requests in hand;
	// a REQUEST keeps its worker until its lease is durable, and the
	// commits waiting together share one disk sync. Too few workers stop
	// reading while syncs are slow: with 256, 7,000 leases/s from perfdhcp
	// left every worker waiting on the disk, the socket queue grew and
	// the exchanges took 300 ms on average (4.6 % lost); with 1,024, pxed
	// answered every request of 8,000/s. A worker costs about 10 KiB.
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

	stats     Stats
	limit     *limiter
	global    *globalLimiter
	exhausted warnEvery // one pool-exhausted warning per 10 s
	links     []*link   // opened by Listen
}

// Stats returns the server's counters, live.
func (s *Server) Stats() *Stats { return &s.stats }

// Listen opens the sockets of each named interface: UDP ports 67 and 4011,
// and the packet socket for replies to clients without an address. Those
// need privileges (a port below 1024, CAP_NET_RAW) that pxed may drop once
// they are open; Serve then serves on them.
func (s *Server) Listen(ifaces []string) error {
	if len(ifaces) == 0 {
		return errors.New("no interface to serve DHCP on (set interfaces in the config or pass --interface)")
	}
	for _, name := range ifaces {
		l, err := s.open(name)
		if err != nil {
			for _, o := range s.links {
				o.close()
			}
			s.links = nil
			return err
		}
		s.links = append(s.links, l)
	}
	return nil
}

// Serve serves on each named interface until ctx ends, on the sockets
// Listen opened, or opens them first if it was not called.
func (s *Server) Serve(ctx context.Context, ifaces []string) error {
	if s.links == nil {
		if err := s.Listen(ifaces); err != nil {
			return err
		}
	}
	links := s.links
	s.limit = newLimiter(s.RateLimit)
	s.global = newGlobalLimiter(s.RateLimit)
	s.exhausted.interval = 10 * time.Second
	g, ctx := errgroup.WithContext(ctx)
	for _, l := range links {
		s.logger().Info("dhcp serving", "iface", l.name, "ip", l.ip)
		for range s.workers() {
			g.Go(func() error { return s.work(ctx, l, l.conn, false) })
		}
		if l.bootConn != nil {
			// ProxyDHCP requests come one per booting client: a few workers.
			for range 4 {
				g.Go(func() error { return s.work(ctx, l, l.bootConn, true) })
			}
		}
	}
	g.Go(func() error {
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
	})
	err := g.Wait()
	for _, l := range links {
		l.close()
	}
	return err
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return 1024
}

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
	conn, err := listenInterface(name, port)
	if err != nil {
		return nil, err
	}
	l := &link{name: name, ip: ip, conn: conn}
	if bp := s.BootPort; bp >= 0 {
		if bp == 0 {
			bp = BootServerPort
		}
		if l.bootConn, err = listenInterface(name, bp); err != nil {
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

// work is one worker's loop on one interface.
func (s *Server) work(ctx context.Context, l *link, conn *net.UDPConn, boot bool) error {
	buf := make([]byte, 1500)
	for {
		if ctx.Err() != nil {
			return nil
		}
		// A deadline on every read, so that shutdown is noticed.
		conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading on %s: %w", l.name, err)
		}
		s.handle(ctx, l, buf[:n], from, boot)
	}
}

func (s *Server) handle(ctx context.Context, l *link, pkt []byte, from netip.AddrPort, boot bool) {
	log := s.logger()
	s.stats.Received.Add(1)
	if mac := chaddr(pkt); mac != nil {
		now := time.Now()
		if !s.limit.allow(mac, now) {
			s.stats.RateLimited.Add(1)
			return
		}
		// The per-MAC bucket first, so that one flooding MAC spends no
		// tokens of the shared one; the host lookup only when there is a
		// shared one.
		if s.global != nil && !s.Responder.Known(mac) && !s.global.allow(now) {
			s.stats.GlobalLimited.Add(1)
			return
		}
	}
	req, err := dhcpv4.FromBytes(pkt)
	if err != nil {
		s.stats.Malformed.Add(1)
		log.Debug("dhcp packet dropped", "iface", l.name, "from", from.String(), "reason", "malformed: "+err.Error())
		return
	}
	start := time.Now()
	d := s.Responder.Respond(req, Ingress{Iface: l.name, ServerIP: l.ip, BootServer: boot})
	// Typed attributes (LogAttrs): a line per reply is on the hot path,
	// and values passed as `any` would each be allocated.
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.String("iface", l.name), slog.String("mac", req.ClientHWAddr.String()),
		slog.String("xid", req.TransactionID.String()), slog.String("msg", req.MessageType().String()))
	if d.Client.HasArch {
		attrs = append(attrs, slog.String("arch", d.Client.Arch.String()))
	}
	if d.Host != "" {
		attrs = append(attrs, slog.String("host", d.Host))
	}
	if d.Commit != nil {
		err := s.Alloc.Commit(ctx, *d.Commit)
		switch {
		case err == nil:
		case errors.Is(err, lease.ErrConflict):
			// Never an ACK for an address another client holds; a NAK
			// where the decision prepared one, so the client starts over.
			s.stats.Conflicts.Add(1)
			log.LogAttrs(ctx, slog.LevelInfo, "dhcp address taken by another client meanwhile", append(attrs, slog.String("ip", d.Commit.IP.String()), slog.Bool("nak", d.Conflict != nil))...)
			if d.Conflict == nil {
				s.stats.countMessage(req.MessageType(), ResultConflict)
				s.record(req, d, "lease conflict: "+err.Error())
				return
			}
			d.Reply, d.Commit, d.Reason = d.Conflict, nil, "conflict nak: "+d.Commit.IP.String()+" taken meanwhile"
		default:
			// No reply: an ACK must never announce a lease that is not
			// durable.
			s.stats.StoreFailed.Add(1)
			s.stats.countMessage(req.MessageType(), ResultStoreFailed)
			log.LogAttrs(ctx, slog.LevelWarn, "dhcp lease not recorded, no reply", append(attrs, slog.String("ip", d.Commit.IP.String()), slog.Any("err", err))...)
			s.record(req, d, "lease not recorded: "+err.Error())
			return
		}
	}
	if d.Reply == nil {
		s.stats.NoReply.Add(1)
		s.stats.countMessage(req.MessageType(), ResultNoReply)
		if d.Exhausted {
			s.stats.Exhausted.Add(1)
			if ok, held := s.exhausted.allow(time.Now()); ok {
				log.LogAttrs(ctx, slog.LevelWarn, "dhcp pool exhausted: no offer", append(attrs, slog.String("reason", d.Reason), slog.Uint64("suppressed", held))...)
			}
		}
		if d.Commit != nil {
			log.LogAttrs(ctx, slog.LevelInfo, "dhcp", append(attrs, slog.String("result", d.Reason), slog.String("ip", d.Commit.IP.String()))...)
		} else {
			log.LogAttrs(ctx, slog.LevelDebug, "dhcp no reply", append(attrs, slog.String("reason", d.Reason))...)
		}
		s.record(req, d, d.Reason)
		return
	}
	dest := Route(req, d.Reply)
	conn := l.conn
	if boot {
		// A ProxyDHCP request is answered where it came from, from port 4011.
		conn = l.bootConn
		dest = Destination{Kind: KindUnicast, Addr: from}
	}
	out := d.Reply.ToBytes()
	if err := s.send(l, conn, dest, out); err != nil {
		s.stats.SendFailed.Add(1)
		s.stats.countMessage(req.MessageType(), ResultSendFailed)
		log.LogAttrs(ctx, slog.LevelWarn, "dhcp reply not sent", append(attrs, slog.String("to", dest.Addr.String()), slog.Any("err", err))...)
		return
	}
	s.record(req, d, "")
	s.count(req.MessageType(), d)
	log.LogAttrs(ctx, slog.LevelInfo, "dhcp", append(attrs, slog.String("reply", d.Reply.MessageType().String()),
		slog.String("ip", ipString(d.Reply.YourIPAddr)), slog.String("file", d.Reply.BootFileName), slog.String("result", d.Reason),
		slog.String("to", dest.Addr.String()), slog.Duration("dur", time.Since(start)))...)
}

func ipString(ip net.IP) string {
	if ip == nil || ip.IsUnspecified() {
		return ""
	}
	return ip.String()
}

func (s *Server) send(l *link, conn *net.UDPConn, d Destination, out []byte) error {
	if d.Kind == KindHardware {
		if l.raw != nil {
			return l.raw.send(d.MAC, netip.AddrPortFrom(l.ip, dhcpv4.ServerPort), d.Addr, out)
		}
		d.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), dhcpv4.ClientPort)
	}
	_, err := conn.WriteToUDPAddrPort(out, d.Addr)
	return err
}

// record tells Events of a request and of its reply, or of why none was sent.
func (s *Server) record(req *dhcpv4.DHCPv4, d Decision, noReply string) {
	if s.Events == nil {
		return
	}
	now := time.Now()
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

// count counts a reply sent: by its type, and under the request's type.
func (s *Server) count(req dhcpv4.MessageType, d Decision) {
	var r Result
	switch d.Reply.MessageType() {
	case dhcpv4.MessageTypeOffer:
		s.stats.Offers.Add(1)
		r = ResultOffer
		if d.Proxy {
			r = ResultProxyOffer
		}
	case dhcpv4.MessageTypeAck:
		s.stats.Acks.Add(1)
		r = ResultAck
		if d.Proxy {
			r = ResultProxyAck
		}
	case dhcpv4.MessageTypeNak:
		s.stats.Naks.Add(1)
		r = ResultNak
	default:
		return
	}
	s.stats.countMessage(req, r)
}
