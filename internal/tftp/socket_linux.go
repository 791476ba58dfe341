package tftp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// blockingLink is a transfer on a socket of its own (its port is the
// server's transfer ID, RFC 1350 §4), read with blocking system calls by the
// transfer's own goroutine instead of through the runtime's network poller.
//
// Why: a lock-step transfer (RFC 1350, or windowsize 1) is one round trip
// per block, so its speed is the latency of waking the reader when an ACK
// arrives. Through the poller that is a failed read, a park, an epoll_wait
// on another thread and a hand-over; a blocking recvfrom is woken by the
// kernel directly. It holds an OS thread and, while blocked, a processor
// of the runtime: Server.openLink bounds how many transfers run so. The
// read deadline is the socket's SO_RCVTIMEO,
// which is set again only when it moves (a backoff, a window's end), not per
// packet; ctx ending shuts the socket down, which wakes the read.
type blockingLink struct {
	fd     int
	to     netip.AddrPort
	sa     unix.Sockaddr // to, for sendto; built once so sending does not allocate
	log    *slog.Logger
	stop   func() bool
	heard  *atomic.Bool // set once the client has sent to this transfer
	buf    []byte
	errBuf []byte
	rsa    unix.RawSockaddrAny
	rcvTO  time.Duration // the SO_RCVTIMEO in force; 0 until set
	zone   uint32        // interface index, for IPv6 link-local peers

	release func()

	mu     sync.Mutex // guards fd against a shutdown after close (fd numbers are reused)
	closed bool
}

// openBlockingLink opens a blockingLink; release is called when it closes.
func openBlockingLink(ctx context.Context, in inbound, log *slog.Logger, heard *atomic.Bool, release func()) (link, error) {
	family, local, to := unix.AF_INET, unix.Sockaddr(nil), sockaddr(in.src, uint32(in.ifindex))
	if in.dst.Is6() || in.src.Addr().Is6() {
		family = unix.AF_INET6
		l6 := &unix.SockaddrInet6{}
		if in.dst.IsValid() {
			l6.Addr = in.dst.As16()
		}
		if in.dst.IsLinkLocalUnicast() {
			l6.ZoneId = uint32(in.ifindex)
		}
		local = l6
	} else {
		l4 := &unix.SockaddrInet4{}
		if in.dst.IsValid() {
			l4.Addr = in.dst.As4()
		}
		local = l4
	}
	if to == nil {
		return nil, fmt.Errorf("no client address to send to")
	}
	// Without SOCK_NONBLOCK: reads block in the kernel until a packet or
	// SO_RCVTIMEO.
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	// Clients drop replies from any address but the one they sent the
	// request to: bind to it, on an ephemeral port.
	if err := unix.Bind(fd, local); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding transfer socket to %v: %w", in.dst, err)
	}
	// Compared with the source of each packet read, which carries no zone.
	from := netip.AddrPortFrom(in.src.Addr().WithZone(""), in.src.Port())
	l := &blockingLink{fd: fd, to: from, sa: to, log: log, heard: heard, buf: make([]byte, maxInbound), zone: uint32(in.ifindex), release: release}
	// shutdown(2) on a UDP socket, connected or not, wakes a blocked
	// recvfrom, which then returns 0 bytes; the read loop checks ctx.
	l.stop = context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.closed {
			unix.Shutdown(l.fd, unix.SHUT_RD)
		}
	})
	return l, nil
}

func (l *blockingLink) send(p []byte) error {
	return unix.Sendto(l.fd, p, 0, l.sa)
}

func (l *blockingLink) close() {
	l.stop()
	l.mu.Lock()
	l.closed = true
	unix.Close(l.fd)
	l.mu.Unlock()
	l.release()
}

func (l *blockingLink) recv(ctx context.Context, deadline time.Time) ([]byte, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, os.ErrDeadlineExceeded
		}
		// SO_RCVTIMEO bounds each recvfrom from its start. Set again only
		// when the time left differs from it by more than 1/32: a lock-step
		// transfer waits timeout after each send, so the value set once
		// serves every block, and a wait ends at most 3 % after deadline.
		if d := left - l.rcvTO; d > left>>5 || d < -(left>>5) {
			tv := unix.NsecToTimeval(max(left, time.Microsecond).Nanoseconds())
			if err := unix.SetsockoptTimeval(l.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
				return nil, fmt.Errorf("setting the read timeout: %w", err)
			}
			l.rcvTO = left
		}
		n, from, err := l.recvfrom()
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			// EAGAIN: SO_RCVTIMEO passed; EINTR: a signal (the runtime's
			// preemption). The loop checks the deadline and ctx.
			continue
		case err != nil:
			return nil, os.NewSyscallError("recvfrom", err)
		case n == 0 && ctx.Err() != nil:
			return nil, ctx.Err()
		}
		if from != l.to {
			// RFC 1350 §4: a packet from another transfer ID gets ERROR 5
			// and does not disturb this transfer.
			l.log.Debug("tftp: dropped packet", "ip", from, "reason", "unknown transfer id")
			l.errBuf = appendError(l.errBuf[:0], ErrCodeUnknownTID, "unknown transfer id")
			if sa := sockaddr(from, l.zone); sa != nil {
				unix.Sendto(l.fd, l.errBuf, 0, sa)
			}
			continue
		}
		l.heard.Store(true)
		return l.buf[:n], nil
	}
}

// recvfrom reads one datagram into l.buf. unix.Recvfrom returns the source
// as a newly allocated Sockaddr; this reads it into l.rsa instead, so the
// per-packet path does not allocate.
func (l *blockingLink) recvfrom() (int, netip.AddrPort, error) {
	salen := uint32(unsafe.Sizeof(l.rsa))
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(l.fd),
		uintptr(unsafe.Pointer(&l.buf[0])), uintptr(len(l.buf)), 0,
		uintptr(unsafe.Pointer(&l.rsa)), uintptr(unsafe.Pointer(&salen)))
	if e != 0 {
		return 0, netip.AddrPort{}, e
	}
	var from netip.AddrPort
	switch l.rsa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(&l.rsa))
		from = netip.AddrPortFrom(netip.AddrFrom4(p.Addr), ntohs(p.Port))
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(&l.rsa))
		from = netip.AddrPortFrom(netip.AddrFrom16(p.Addr).Unmap(), ntohs(p.Port))
	}
	return int(n), from, nil
}

func ntohs(v uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&v))
	return uint16(b[0])<<8 | uint16(b[1])
}

func sockaddr(ap netip.AddrPort, zone uint32) unix.Sockaddr {
	switch {
	case ap.Addr().Is4():
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	case ap.Addr().Is6():
		sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
		if ap.Addr().IsLinkLocalUnicast() {
			sa.ZoneId = zone
		}
		return sa
	}
	return nil
}
