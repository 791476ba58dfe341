package tftp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/logsink"
)

// Defaults of the Server fields.
const (
	DefaultMaxBlockSize  = 1468 // an Ethernet MTU of 1500 minus IPv4, UDP and TFTP headers
	DefaultMaxWindowSize = 64
	DefaultMaxTransfers  = 256
	DefaultTimeout       = time.Second
	DefaultRetries       = 5
)

// windowCap bounds the window so that 16-bit ACK numbers stay unambiguous:
// with at most 2^14 blocks outstanding, an ACK's distance from the last
// acknowledged block identifies it even across rollover.
const windowCap = 1 << 14

// Server is a read-only TFTP server. Its zero value is usable: it answers
// every request with "file not found" until Files is set.
type Server struct {
	// Files opens the file of each read request. Its error chooses the
	// ERROR packet the client gets:
	//
	//	errors.As(err, *Error)           → its Code and Message
	//	errors.Is(err, fs.ErrNotExist)   → 1 file not found
	//	errors.Is(err, fs.ErrPermission) → 2 access violation
	//	anything else                    → 0, with a generic message (details are logged, not sent)
	//
	// Its context ends when the server shuts down.
	Files  bootfs.Opener
	Logger *slog.Logger // nil: no logging

	// MaxBlockSize caps the blksize option (RFC 2348). It is further capped
	// per transfer to the MTU of the interface the request came in on,
	// minus IP, UDP and TFTP headers, so that no DATA packet is fragmented.
	MaxBlockSize int
	// MaxWindowSize caps the windowsize option (RFC 7440).
	MaxWindowSize int
	// MaxTransfers caps concurrent transfers; requests beyond it get an
	// ERROR "server busy" at once.
	MaxTransfers int
	// Timeout is the first retransmission timeout; it doubles with each
	// retry. A client's timeout option (RFC 2349) replaces it.
	Timeout time.Duration
	// Retries is how many times a block (or OACK) is resent before the
	// transfer is abandoned.
	Retries int
	// OnTransfer, if set, is called once per finished transfer, from the
	// transfer's goroutine. It must not block for long.
	OnTransfer func(Transfer)
	// SinglePort runs every transfer on the listening socket (port 69)
	// instead of a new socket per transfer, for clients behind NAT or
	// firewalls that only let replies from port 69 through. Packets are
	// routed to their transfer by the client's address and port. RFC 1350
	// §4 asks for a new server TID per transfer; clients accept port 69 as
	// the TID, and a client must then use a distinct port per transfer.
	SinglePort bool
	// Tracker, if set, follows each transfer while it runs (the
	// dashboard's progress bars).
	Tracker Tracker

	once     sync.Once
	sem      chan struct{}
	blocking chan struct{} // slots for transfers read with blocking calls; see openLink
}

// Tracker follows transfers while they run. Begin is called once a file is
// open, with the size the client is sent (its tsize; -1 for netascii, whose
// size is not known ahead); sent is then called with the payload bytes
// sent so far as the client acknowledges blocks, and end once when the
// transfer ends. sent is called from the transfer's goroutine on every
// acknowledgement, so it must be cheap.
type Tracker interface {
	Begin(proto, file string, client netip.AddrPort, size int64) (sent func(bytes int64), end func())
}

// Transfer describes one finished transfer, for logs, events and metrics.
type Transfer struct {
	Remote      netip.AddrPort
	Local       netip.Addr
	Path        string
	Mode        string
	Size        int64 // the file's size; -1 if it was not opened
	Bytes       int64 // payload bytes sent (retransmissions not counted)
	Duration    time.Duration
	BlockSize   int
	WindowSize  int
	Retransmits int   // DATA and OACK packets sent again
	Acked       int64 // blocks the client acknowledged (where a failed transfer stopped)
	Err         error // nil when the client acknowledged the last block
}

func (s *Server) init() {
	s.once.Do(func() {
		s.sem = make(chan struct{}, orDefault(s.MaxTransfers, DefaultMaxTransfers))
		s.blocking = make(chan struct{}, runtime.GOMAXPROCS(0)-1)
	})
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (s *Server) logger() *slog.Logger {
	return logsink.Or(s.Logger)
}

// ListenAndServe listens on the UDP address addr (":69" if empty; see
// Listen) and serves until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	conns, err := Listen(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(conns))
	for _, c := range conns {
		go func() {
			err := s.Serve(ctx, c)
			cancel() // one socket failing stops the others
			errs <- err
		}()
	}
	var first error
	for range conns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	for _, c := range conns {
		c.Close()
	}
	return first
}

// Listen opens the UDP sockets to serve (each with Serve) for addr (":69"
// if empty). A host that is an IPv4 literal (0.0.0.0:69) gives one IPv4
// socket; an IPv6 literal ([::]:69) one IPv6-only socket; no host, both
// families: an IPv4 socket and an IPv6-only one on the same port (the IPv6
// one left out, with no error, on a kernel without IPv6).
//
// Two sockets rather than one dual-stack socket (IPV6_V6ONLY off, IPv4
// clients seen as ::ffff:a.b.c.d): the IPv4 path stays exactly what it is
// without IPv6 (its IP_PKTINFO control messages and its reads); and in
// single-port mode a reply to an IPv4 client must leave from the address the
// request was sent to, which on a dual-stack socket takes an IPV6_PKTINFO
// with a mapped source that golang.org/x/net/ipv6 does not write.
func Listen(addr string) ([]net.PacketConn, error) {
	if addr == "" {
		addr = ":69"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("tftp: %w", err)
	}
	if host != "" {
		network := "udp4"
		if a, err := netip.ParseAddr(host); err == nil && a.Is6() && !a.Is4In6() {
			network = "udp6" // Go sets IPV6_V6ONLY for "udp6"
		}
		conn, err := net.ListenPacket(network, addr)
		if err != nil {
			return nil, fmt.Errorf("tftp: %w", err)
		}
		return []net.PacketConn{conn}, nil
	}
	return listenBoth("", "::", port)
}

// listenBoth opens an IPv4 socket on host4 and an IPv6-only one on host6,
// on the same port.
func listenBoth(host4, host6, port string) ([]net.PacketConn, error) {
	c4, err := net.ListenPacket("udp4", net.JoinHostPort(host4, port))
	if err != nil {
		return nil, fmt.Errorf("tftp: %w", err)
	}
	// The port the IPv4 socket got (port 0 picks one), so that both
	// families answer on the same port.
	port = strconv.Itoa(c4.LocalAddr().(*net.UDPAddr).Port)
	c6, err := net.ListenPacket("udp6", net.JoinHostPort(host6, port))
	switch {
	case errors.Is(err, syscall.EAFNOSUPPORT):
		return []net.PacketConn{c4}, nil
	case err != nil:
		c4.Close()
		return nil, fmt.Errorf("tftp: %w", err)
	}
	return []net.PacketConn{c4, c6}, nil
}

// Serve answers the requests that arrive on conn until ctx is done, then
// waits for every transfer it started to end, and returns. It does not close
// conn. Each transfer runs on a new socket bound to the address the request
// was sent to (RFC 1350 §4: the server's transfer ID), learned from
// IP_PKTINFO when conn listens on a wildcard address.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	s.init()
	l := newListener(conn)
	var wg sync.WaitGroup
	defer wg.Wait()
	// Unblock the read below when ctx ends; the listening socket is the
	// one read that has no natural deadline.
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	if s.SinglePort {
		return s.serveSinglePort(ctx, l, &wg)
	}
	buf := make([]byte, 65536)
	// Running transfers by client transfer ID, each with its request and a
	// flag set once the client has sent anything to the transfer's port.
	// The same request again from a client whose transfer has heard nothing
	// from it yet is that client resending it (the first reply was lost or
	// slow): starting a second transfer would send it a second OACK or
	// DATA 1 from another port, which clients take as an error (atftp
	// aborts on it). Any other packet is handled on its own.
	type running struct {
		heard *atomic.Bool
		rrq   string
	}
	var mu sync.Mutex
	active := map[netip.AddrPort]running{}
	for {
		n, req, err := l.read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("tftp: reading requests: %w", err)
		}
		mu.Lock()
		r, dup := active[req.src]
		dup = dup && !r.heard.Load() && r.rrq == string(buf[:n])
		mu.Unlock()
		if dup {
			s.logger().Debug("tftp: dropped request", "ip", req.src, "reason", "resent request of a running transfer")
			continue
		}
		p, mode, ok := s.accept(l, req, buf[:n])
		if !ok {
			continue
		}
		heard := new(atomic.Bool)
		mu.Lock()
		active[req.src] = running{heard: heard, rrq: string(buf[:n])}
		mu.Unlock()
		wg.Go(func() {
			defer func() { <-s.sem }()
			defer func() {
				mu.Lock()
				if active[req.src].heard == heard {
					delete(active, req.src)
				}
				mu.Unlock()
			}()
			s.serveRead(ctx, l, req, p, mode, func() (link, error) { return s.openLink(ctx, req, heard) })
		})
	}
}

// accept decides whether a packet that arrived on the request port starts a
// transfer. When it does, it has taken a slot of s.sem, which the transfer
// must give back; when not, it has answered or dropped the packet.
func (s *Server) accept(l *listener, req inbound, b []byte) (packet, string, bool) {
	log := s.logger()
	p, err := parsePacket(b)
	if err != nil {
		// RFC 1350 §5: answer what cannot be a valid request with
		// "illegal TFTP operation", which also stops a confused client.
		log.Debug("tftp: malformed request", "ip", req.src, "reason", err)
		l.replyError(req, ErrCodeIllegal, "malformed request")
		return p, "", false
	}
	switch p.Op {
	case OpRRQ:
	case OpWRQ:
		log.Debug("tftp: refused write request", "ip", req.src, "file", p.Filename)
		l.replyError(req, ErrCodeAccess, "read-only server")
		return p, "", false
	default:
		// DATA, ACK, OACK or ERROR sent to the request port belong to no
		// transfer. Not answered: answering an ERROR could loop.
		log.Debug("tftp: dropped packet", "ip", req.src, "reason", "unexpected "+p.Op.String()+" on the request port")
		return p, "", false
	}
	mode := strings.ToLower(p.Mode)
	if mode != "octet" && mode != "netascii" {
		log.Debug("tftp: dropped request", "ip", req.src, "file", p.Filename, "reason", "unsupported mode "+strconv.Quote(p.Mode))
		l.replyError(req, ErrCodeIllegal, "unsupported mode")
		return p, "", false
	}
	select {
	case s.sem <- struct{}{}:
	default:
		log.Debug("tftp: refused request", "ip", req.src, "file", p.Filename, "reason", "busy")
		l.replyError(req, ErrCodeUndefined, "server busy")
		return p, "", false
	}
	return p, mode, true
}

// inbound is where a request came from and to.
type inbound struct {
	src     netip.AddrPort
	dst     netip.Addr // invalid when unknown
	ifindex int        // 0 when unknown
}

// listener reads requests with their destination address and interface.
type listener struct {
	conn  net.PacketConn
	p4    *ipv4.PacketConn
	p6    *ipv6.PacketConn
	local netip.Addr
}

func newListener(conn net.PacketConn) *listener {
	l := &listener{conn: conn}
	ua, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		return l
	}
	l.local = ua.AddrPort().Addr().Unmap()
	if ua.IP.To4() != nil {
		p := ipv4.NewPacketConn(conn)
		if p.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true) == nil {
			l.p4 = p
		}
	} else {
		p := ipv6.NewPacketConn(conn)
		if p.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true) == nil {
			l.p6 = p
		}
	}
	return l
}

func (l *listener) read(b []byte) (int, inbound, error) {
	var (
		n    int
		addr net.Addr
		err  error
		in   inbound
	)
	switch {
	case l.p4 != nil:
		var cm *ipv4.ControlMessage
		n, cm, addr, err = l.p4.ReadFrom(b)
		if cm != nil {
			in.dst, _ = netip.AddrFromSlice(cm.Dst)
			in.ifindex = cm.IfIndex
		}
	case l.p6 != nil:
		var cm *ipv6.ControlMessage
		n, cm, addr, err = l.p6.ReadFrom(b)
		if cm != nil {
			in.dst, _ = netip.AddrFromSlice(cm.Dst)
			in.ifindex = cm.IfIndex
		}
	default:
		n, addr, err = l.conn.ReadFrom(b)
	}
	if err != nil {
		return 0, in, err
	}
	if ua, ok := addr.(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		in.src = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	in.dst = in.dst.Unmap()
	if !in.dst.IsValid() || in.dst.IsUnspecified() {
		in.dst = l.local
	}
	return n, in, nil
}

// replyError answers a request from the request port itself. Used only for
// refusals decided before a transfer (and its socket) exists.
func (l *listener) replyError(in inbound, code ErrorCode, msg string) {
	if !in.src.IsValid() {
		return
	}
	b := appendError(make([]byte, 0, 4+len(msg)+1), code, msg)
	l.conn.WriteTo(b, net.UDPAddrFromAddrPort(in.src))
}

// serveRead runs one read transfer to its end and reports it. open gives
// the transfer its link to the client: a socket of its own, or its share of
// the listening socket in single-port mode.
func (s *Server) serveRead(ctx context.Context, l *listener, in inbound, p packet, mode string, open func() (link, error)) {
	start := time.Now()
	tr := Transfer{
		Remote: in.src, Local: in.dst, Path: p.Filename, Mode: mode,
		Size: -1, BlockSize: defaultBlockSize, WindowSize: 1,
	}
	defer func() {
		tr.Duration = time.Since(start)
		s.report(tr)
	}()

	out, err := open()
	if err != nil {
		tr.Err = fmt.Errorf("opening transfer socket: %w", err)
		l.replyError(in, ErrCodeUndefined, "server error")
		return
	}
	defer out.close()

	files := s.Files
	if files == nil {
		files = bootfs.OpenerFunc(func(context.Context, *bootfs.Request) (bootfs.File, error) { return nil, os.ErrNotExist })
	}
	f, err := files.Open(ctx, &bootfs.Request{Path: p.Filename, Remote: in.src, Local: in.dst})
	if err != nil {
		code, msg := errorPacket(err)
		out.send(appendError(nil, code, msg))
		tr.Err = err
		return
	}
	defer f.Close()

	lim := limits{
		maxBlockSize:  min(orDefault(s.MaxBlockSize, DefaultMaxBlockSize), maxBlockSize),
		maxWindowSize: min(orDefault(s.MaxWindowSize, DefaultMaxWindowSize), windowCap),
		size:          -1,
	}
	lim.maxBlockSize = pathBlockSize(lim.maxBlockSize, interfaceMTU(in.ifindex), in.dst.Is6() || in.src.Addr().Is6())
	if mode == "octet" {
		lim.size = f.Size()
		tr.Size = lim.size
	}
	neg := negotiate(p.Options, lim)
	tr.BlockSize, tr.WindowSize = neg.blockSize, neg.windowSize

	snd := newSender(out, f, mode == "netascii", neg,
		orDefault(s.Timeout, DefaultTimeout), orDefault(s.Retries, DefaultRetries))
	var progress func(int64)
	if s.Tracker != nil {
		sent, end := s.Tracker.Begin("tftp", p.Filename, in.src, lim.size)
		defer end()
		progress = sent
	}
	tr.Err = run(ctx, out, snd, progress)
	tr.Bytes, tr.Retransmits, tr.Acked = snd.bytes, snd.resent, snd.acked
}

func interfaceMTU(ifindex int) int {
	if ifindex <= 0 {
		return 0
	}
	ifi, err := net.InterfaceByIndex(ifindex)
	if err != nil {
		return 0
	}
	return ifi.MTU
}

// report writes the one log line of a transfer and calls OnTransfer.
func (s *Server) report(tr Transfer) {
	attrs := []slog.Attr{
		slog.String("ip", tr.Remote.Addr().String()),
		slog.String("file", tr.Path),
		slog.Int64("bytes", tr.Bytes),
		slog.Duration("dur", tr.Duration),
		slog.Int("blksize", tr.BlockSize),
		slog.Int("windowsize", tr.WindowSize),
		slog.Int("retransmits", tr.Retransmits),
	}
	if tr.Err != nil {
		attrs = append(attrs, slog.String("error", tr.Err.Error()))
	}
	s.logger().LogAttrs(context.Background(), slog.LevelInfo, "tftp transfer", attrs...)
	if s.OnTransfer != nil {
		s.OnTransfer(tr)
	}
}
