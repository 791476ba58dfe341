package tftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Single-port mode: every transfer runs on the listening socket. One loop
// reads the socket and routes each packet by the client's address and port
// to its transfer's queue; each transfer runs the same sender as in the
// socket-per-transfer mode, on its own goroutine, and writes its packets to
// the shared socket (concurrent writes to one UDP socket are safe).

// portQueue is how many packets may wait for a transfer. A client sends one
// ACK per window, so the queue is short; when it is full the packet is
// dropped, which the protocol treats as loss.
const portQueue = 16

// inPacket is one packet copied into a transfer's queue by value, so that
// routing does not allocate.
type inPacket struct {
	n int
	b [maxInbound]byte
}

// demux maps the client's address and port to its transfer.
type demux struct {
	mu    sync.Mutex
	links map[netip.AddrPort]*portLink
	// start begins a transfer for a request (or answers or drops it).
	start func(req inbound, b []byte)
}

// serveSinglePort is Serve's loop in single-port mode. The per-packet path
// (read, map lookup, copy into the queue) does not allocate; the control
// message that tells the request's destination address is parsed only for
// packets that start a transfer.
func (s *Server) serveSinglePort(ctx context.Context, l *listener, wg *sync.WaitGroup) error {
	uc, ok := l.conn.(*net.UDPConn)
	if !ok {
		return errors.New("tftp: single-port mode needs a *net.UDPConn")
	}
	d := &demux{links: make(map[netip.AddrPort]*portLink)}
	d.start = func(req inbound, b []byte) {
		if ctx.Err() != nil {
			return
		}
		p, mode, ok := s.accept(l, req, b)
		if !ok {
			return
		}
		// Registered before the transfer's first packet leaves, so that the
		// client's first answer finds it.
		lk := d.add(uc, l, req)
		wg.Go(func() {
			defer func() { <-s.sem }()
			s.serveRead(ctx, l, req, p, mode, func() (link, error) { return lk, nil })
		})
	}
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for {
		n, oobn, _, src, err := uc.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("tftp: reading requests: %w", err)
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if d.route(src, buf[:n]) {
			continue
		}
		d.start(l.inbound(src, oob[:oobn]), buf[:n])
	}
}

// route hands b to the transfer of src, if there is one. A request from a
// client port that has a transfer running goes to the transfer too: while it
// runs, it is a retransmitted request and ignored, as a transfer socket
// would; if it came after the final ACK, the ending transfer starts it (see
// close). An ERROR ends the transfer, so the client's port is free at once
// for its next request (the PXE tsize probe: RRQ, OACK, ERROR 8, RRQ,
// possibly from the same port).
func (d *demux) route(src netip.AddrPort, b []byte) bool {
	var p inPacket
	d.mu.Lock()
	defer d.mu.Unlock()
	lk := d.links[src]
	if lk == nil {
		return false
	}
	if opcode(b) == OpERROR {
		delete(d.links, src)
	}
	// Queued under the lock, so that close, which unregisters under the
	// lock, finds every packet routed to it.
	p.n = copy(p.b[:], b)
	select {
	case lk.in <- p:
	default:
		// The transfer is behind; a lost packet, which it recovers from.
	}
	return true
}

func opcode(b []byte) Opcode {
	if len(b) < 2 {
		return 0
	}
	return Opcode(uint16(b[0])<<8 | uint16(b[1]))
}

func (d *demux) add(conn *net.UDPConn, l *listener, in inbound) *portLink {
	lk := &portLink{
		d:     d,
		conn:  conn,
		req:   in,
		to:    in.src,
		oob:   sourceControl(l, in),
		in:    make(chan inPacket, portQueue),
		timer: time.NewTimer(time.Hour),
	}
	lk.timer.Stop()
	d.mu.Lock()
	d.links[in.src] = lk
	d.mu.Unlock()
	return lk
}

// portLink is a transfer's share of the listening socket.
type portLink struct {
	d     *demux
	conn  *net.UDPConn
	req   inbound
	to    netip.AddrPort
	oob   []byte // IP_PKTINFO / IPV6_PKTINFO naming the source address; nil when the socket has one
	in    chan inPacket
	cur   inPacket
	timer *time.Timer
}

// sourceControl returns the control message that sends replies from the
// address the request was sent to, when the socket listens on a wildcard
// address: a client drops replies from any other address, and on a
// multi-homed server the route may pick another.
func sourceControl(l *listener, in inbound) []byte {
	if l.local.IsValid() && !l.local.IsUnspecified() || !in.dst.IsValid() {
		return nil
	}
	switch {
	case l.p4 != nil && in.dst.Is4():
		return (&ipv4.ControlMessage{Src: in.dst.AsSlice()}).Marshal()
	case l.p6 != nil && in.dst.Is6():
		return (&ipv6.ControlMessage{Src: in.dst.AsSlice(), IfIndex: in.ifindex}).Marshal()
	}
	return nil
}

func (p *portLink) send(b []byte) error {
	_, _, err := p.conn.WriteMsgUDPAddrPort(b, p.oob, p.to)
	return err
}

func (p *portLink) recv(ctx context.Context, deadline time.Time) ([]byte, error) {
	// Since Go 1.23 Reset also discards a fire that was not received.
	p.timer.Reset(time.Until(deadline))
	select {
	case p.cur = <-p.in:
		return p.cur.b[:p.cur.n], nil
	case <-p.timer.C:
		return nil, os.ErrDeadlineExceeded
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close unregisters the transfer. A request that the client sent from the
// same port right after the final ACK was routed here: it starts the next
// transfer now instead of waiting for the client to send it again.
func (p *portLink) close() {
	p.timer.Stop()
	p.d.mu.Lock()
	if p.d.links[p.to] == p {
		delete(p.d.links, p.to)
	}
	p.d.mu.Unlock()
	for {
		select {
		case q := <-p.in:
			if op := opcode(q.b[:q.n]); op == OpRRQ || op == OpWRQ {
				p.d.start(p.req, q.b[:q.n])
				return
			}
		default:
			return
		}
	}
}

// inbound builds a request's inbound from its source and the control
// message read with it.
func (l *listener) inbound(src netip.AddrPort, oob []byte) inbound {
	in := inbound{src: src}
	switch {
	case l.p4 != nil:
		var cm ipv4.ControlMessage
		if cm.Parse(oob) == nil {
			in.dst, _ = netip.AddrFromSlice(cm.Dst)
			in.ifindex = cm.IfIndex
		}
	case l.p6 != nil:
		var cm ipv6.ControlMessage
		if cm.Parse(oob) == nil {
			in.dst, _ = netip.AddrFromSlice(cm.Dst)
			in.ifindex = cm.IfIndex
		}
	}
	in.dst = in.dst.Unmap()
	if !in.dst.IsValid() || in.dst.IsUnspecified() {
		in.dst = l.local
	}
	return in
}
