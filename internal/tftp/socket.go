package tftp

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// socketLink is a transfer on a socket of its own, read through the
// runtime's network poller: its port is the server's transfer ID
// (RFC 1350 §4).
type socketLink struct {
	conn *net.UDPConn
	to   netip.AddrPort
	tid  *clientTID
	stop func() bool
	buf  []byte
}

func openSocketLink(ctx context.Context, in inbound, tid *clientTID) (link, error) {
	conn, err := listenTransfer(in)
	if err != nil {
		return nil, err
	}
	l := &socketLink{conn: conn, to: in.src, tid: tid, buf: make([]byte, maxInbound)}
	// Unblock a read when ctx ends.
	l.stop = context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	return l, nil
}

func (l *socketLink) send(p []byte) error {
	_, err := l.conn.WriteToUDPAddrPort(p, l.to)
	return err
}

func (l *socketLink) close() {
	l.stop()
	l.conn.Close()
}

func (l *socketLink) recv(ctx context.Context, deadline time.Time) ([]byte, error) {
	if err := l.conn.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	// Checked after setting the deadline: a cancellation from here on
	// moves the deadline to the past, one before is seen here.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(l.buf)
		if err != nil {
			return nil, err
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if stray, ok := l.tid.admit(from); !ok {
			l.conn.WriteToUDPAddrPort(stray, from)
			continue
		}
		return l.buf[:n], nil
	}
}

// listenTransfer opens the transfer's socket on an ephemeral port of the
// address the request was sent to: clients drop replies from any other
// address.
func listenTransfer(in inbound) (*net.UDPConn, error) {
	network := "udp4"
	dst := in.dst
	if dst.Is6() {
		network = "udp6"
		if dst.IsLinkLocalUnicast() && in.ifindex > 0 {
			dst = dst.WithZone(strconv.Itoa(in.ifindex))
		}
	}
	var laddr *net.UDPAddr
	if dst.IsValid() {
		laddr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 0))
	}
	return net.ListenUDP(network, laddr)
}
