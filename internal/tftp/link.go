package tftp

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

// link carries one transfer's packets to and from its client: the one
// interface between the transfer state machine (sender, which owns no
// socket) and the three ways a transfer meets the network.
//
//   - socketLink: a socket of its own, read through the runtime's network
//     poller (socket.go). RFC 1350 §4: its port is the server's transfer ID.
//   - blockingLink: a socket of its own, read with blocking system calls in
//     the transfer's goroutine, on Linux, for at most GOMAXPROCS−1 transfers
//     at once (Server.openLink; why and what it gains: link_blocking_linux.go).
//   - portLink: the transfer's share of the listening socket, fed by the
//     single-port demultiplexer (singleport.go).
type link interface {
	outbox
	// recv returns the next packet from the client, valid until the next
	// call. At deadline it returns os.ErrDeadlineExceeded; when ctx ends,
	// an error (the caller checks ctx).
	recv(ctx context.Context, deadline time.Time) ([]byte, error)
	close()
}

// maxInbound is the longest packet a transfer reads from its client, on any
// link. Clients send only ACKs and ERRORs; a longer ERROR is cut and then
// ignored as malformed.
const maxInbound = 516

// run drives a sender over its link until the transfer ends, telling
// progress (if set) the bytes sent after each packet from the client.
func run(ctx context.Context, lk link, snd *sender, progress func(sent int64)) error {
	if err := snd.start(time.Now()); err != nil {
		return err
	}
	if progress == nil {
		progress = func(int64) {}
	}
	for {
		b, err := lk.recv(ctx, snd.deadline)
		switch {
		case ctx.Err() != nil:
			lk.send(appendError(nil, ErrCodeUndefined, "server shutting down"))
			return ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			if err := snd.expire(time.Now()); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		done, err := snd.receive(b, time.Now())
		progress(snd.bytes)
		if done || err != nil {
			return err
		}
	}
}

// openLink opens the transfer's own socket. While fewer transfers than the
// runtime has processors minus one are running so, it is a blockingLink: a
// lock-step transfer then waits for each ACK in the kernel, not in the
// network poller, which makes its round trip shorter. Each such transfer
// holds a processor (P) while blocked, and the runtime only takes a P back
// from a blocked thread after its monitor notices (up to 10 ms); with every
// P held so, the other goroutines, other transfers included, would wait for
// that. Hence the bound, which keeps one P free; the rest are socketLinks.
func (s *Server) openLink(ctx context.Context, in inbound, heard *atomic.Bool) (link, error) {
	tid := &clientTID{addr: netip.AddrPortFrom(in.src.Addr().WithZone(""), in.src.Port()), log: s.logger(), heard: heard}
	select {
	case s.blocking <- struct{}{}:
		l, err := openBlockingLink(ctx, in, tid, func() { <-s.blocking })
		if l != nil || err != nil {
			return l, err
		}
		<-s.blocking
	default:
	}
	return openSocketLink(ctx, in, tid)
}

// clientTID admits the packets of a transfer's client to a transfer socket,
// which any host can send to. RFC 1350 §4: a packet from another transfer
// ID (address and port) gets ERROR 5 and does not disturb the transfer.
type clientTID struct {
	addr   netip.AddrPort // the client's, without zone
	log    *slog.Logger
	heard  *atomic.Bool // set once the client has sent to this transfer
	errBuf []byte
}

// admit reports whether a packet from `from` is the client's. When it is not,
// it returns the ERROR packet to answer it with, valid until the next call.
// The zone is not compared: a transfer socket bound to a link-local address
// receives on that address's interface only.
func (c *clientTID) admit(from netip.AddrPort) ([]byte, bool) {
	if netip.AddrPortFrom(from.Addr().WithZone(""), from.Port()) == c.addr {
		c.heard.Store(true)
		return nil, true
	}
	c.log.Debug("tftp: dropped packet", "ip", from, "reason", "unknown transfer id")
	c.errBuf = appendError(c.errBuf[:0], ErrCodeUnknownTID, "unknown transfer id")
	return c.errBuf, false
}
