package tftp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// blockingLink is a transfer on a socket of its own (its port is the
// server's transfer ID, RFC 1350 §4), read with blocking system calls by the
// transfer's own goroutine instead of through the runtime's network poller.
// It is the one place in pxed with raw system calls and unsafe: sendto and
// recvfrom through RawSyscall6 (which the runtime does not see), a signal's
// EINTR handled here, and sockaddrs read and written in place so that the
// per-packet path does not allocate. All of it is in this file.
//
// Why: a lock-step transfer (RFC 1350, or windowsize 1, as BIOS PXE ROMs,
// PXELINUX and iPXE fetch) is one round trip per block, so its speed is the
// latency of waking the reader when an ACK arrives. Through the poller that
// is a failed read, a park, an epoll_wait on another thread and a hand-over;
// a blocking recvfrom is woken by the kernel directly. It holds an OS thread
// and, while blocked, a processor of the runtime: Server.openLink bounds how
// many transfers run so.
//
// Measured gain, 2026-12-05 (bench/tftp/run (a): curl lock-step, blksize
// 1468, 40 MB over a veth pair, 2 cores, 15 rounds with the builds taking
// turns; docs/performance.md has the runs): median 1.12 s against 1.39 s
// through the poller, 24 % faster (paired per round 1.32×); on the same
// machine loaded by other builds, 1.48 s against 2.24 s. A blocking read
// through the runtime's own system calls instead of raw ones measured
// 1.20 s in the quiet run (see recvfrom for the difference). The path is
// kept while it gains 10 % or more over the poller.
//
// The read deadline is the socket's SO_RCVTIMEO, which is set again only
// when it moves (a backoff, a window's end), not per packet; ctx ending
// shuts the socket down, which wakes the read.
type blockingLink struct {
	fd     int
	tid    *clientTID
	rawTo  unix.RawSockaddrAny // the client's address, for sendto; built once so sending does not allocate
	rawLen uint32              // bytes of rawTo in use
	stop   func() bool
	buf    []byte
	rsa    unix.RawSockaddrAny
	rcvTO  time.Duration // the SO_RCVTIMEO in force; 0 until set
	spun   bool          // the last read was a raw wait that timed out
	zone   uint32        // interface index, for IPv6 link-local peers

	release func()

	mu     sync.Mutex // guards fd against a shutdown after close (fd numbers are reused)
	closed bool
}

// openBlockingLink opens a blockingLink; release is called when it closes.
func openBlockingLink(ctx context.Context, in inbound, tid *clientTID, release func()) (link, error) {
	family, local := unix.AF_INET, unix.Sockaddr(nil)
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
	if !in.src.Addr().IsValid() {
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
	l := &blockingLink{fd: fd, tid: tid, buf: make([]byte, maxInbound), zone: uint32(in.ifindex), release: release}
	l.rawLen = rawSockaddr(&l.rawTo, in.src, uint32(in.ifindex))
	// A send blocks only while the socket's send buffer is full; bound
	// it, since send holds its processor meanwhile (see recvfrom).
	tv := unix.NsecToTimeval(time.Second.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("setting the send timeout: %w", err)
	}
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

func (l *blockingLink) send(p []byte) error { return l.sendto(p, &l.rawTo, l.rawLen) }

// sendto sends p to the address in sa (salen bytes of it).
func (l *blockingLink) sendto(p []byte, sa *unix.RawSockaddrAny, salen uint32) error {
	for {
		_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(l.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0,
			uintptr(unsafe.Pointer(sa)), uintptr(salen))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			// A signal, most likely the runtime's asking this goroutine
			// to stop (a garbage collection waits for it). The raw call
			// and this loop have no preemption point, so yield here
			// before trying again.
			runtime.Gosched()
			continue
		}
		return os.NewSyscallError("sendto", e)
	}
}

// rawSockaddr writes ap as a sockaddr_in or sockaddr_in6 into sa and returns
// its length.
func rawSockaddr(sa *unix.RawSockaddrAny, ap netip.AddrPort, zone uint32) uint32 {
	port := ap.Port()
	if ap.Addr().Is4() {
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p.Family = unix.AF_INET
		p.Port = ntohs(port) // the same swap both ways
		p.Addr = ap.Addr().As4()
		return unix.SizeofSockaddrInet4
	}
	p := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
	p.Family = unix.AF_INET6
	p.Port = ntohs(port)
	p.Addr = ap.Addr().As16()
	if ap.Addr().IsLinkLocalUnicast() {
		p.Scope_id = zone
	}
	return unix.SizeofSockaddrInet6
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
		// First a short wait holding the processor (see recvfrom): on a
		// LAN the ACK comes within it. Then, if the client is slower, the
		// rest of the wait through the runtime, which lends the processor
		// to other goroutines meanwhile.
		raw := left > spinWait && !l.spun
		wait := left
		if raw {
			wait = spinWait
		}
		if err := l.setTimeout(wait); err != nil {
			return nil, err
		}
		n, from, err := l.recvfrom(raw)
		l.spun = raw && err == unix.EAGAIN
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			// EAGAIN: SO_RCVTIMEO passed; EINTR: a signal (the runtime's
			// preemption), to which a raw wait yields here, as it has no
			// preemption point of its own. The loop checks the deadline
			// and ctx.
			if err == unix.EINTR {
				runtime.Gosched()
			}
			continue
		case err != nil:
			return nil, os.NewSyscallError("recvfrom", err)
		case n == 0 && ctx.Err() != nil:
			return nil, ctx.Err()
		}
		if stray, ok := l.tid.admit(from); !ok {
			var sa unix.RawSockaddrAny
			l.sendto(stray, &sa, rawSockaddr(&sa, from, l.zone))
			continue
		}
		return l.buf[:n], nil
	}
}

// spinWait is how long a read waits with a raw system call, holding its
// processor, before it waits through the runtime (see recvfrom).
const spinWait = 500 * time.Microsecond

// setTimeout makes SO_RCVTIMEO, which bounds each recvfrom from its start,
// d. It is set again only when d differs from the value in force by more
// than 1/32: a lock-step transfer waits spinWait (or timeout) after each
// send, so the value set once serves every block, and a wait ends at most
// 3 % after its deadline.
func (l *blockingLink) setTimeout(d time.Duration) error {
	if diff := d - l.rcvTO; diff <= d>>5 && diff >= -(d>>5) {
		return nil
	}
	tv := unix.NsecToTimeval(max(d, time.Microsecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(l.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("setting the read timeout: %w", err)
	}
	l.rcvTO = d
	return nil
}

// recvfrom reads one datagram into l.buf. unix.Recvfrom returns the source
// as a newly allocated Sockaddr; this reads it into l.rsa instead, so the
// per-packet path does not allocate.
//
// With raw set it is a raw system call: the runtime is not told that the
// goroutine is in the kernel, so its processor stays with it while it waits
// for the ACK, as a running goroutine's would. Through the runtime's
// syscall path, every wait of a lock-step transfer (one round trip, tens of
// microseconds) looks to the monitor thread like a blocked system call,
// which it wakes every few tens of microseconds to check, at a cost in
// transfer rate on a small machine (docs/performance.md). Held for long,
// the processor would be missed by the rest of pxed (with a raw wait for
// the whole timeout, TestLossy's client and proxy, in the same process,
// were starved into spurious timeouts), so a raw wait lasts spinWait at
// most. It ends at SO_RCVTIMEO, or earlier with EINTR when the runtime
// signals the thread to preempt it (a stop for the garbage collector): a
// read with a timeout set is not restarted after a signal handler
// (signal(7)).
func (l *blockingLink) recvfrom(raw bool) (int, netip.AddrPort, error) {
	salen := uint32(unsafe.Sizeof(l.rsa))
	var n uintptr
	var e unix.Errno
	// Two direct calls: the pointers converted in a call's arguments are
	// kept alive for a direct call only.
	if raw {
		n, _, e = unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(l.fd),
			uintptr(unsafe.Pointer(&l.buf[0])), uintptr(len(l.buf)), 0,
			uintptr(unsafe.Pointer(&l.rsa)), uintptr(unsafe.Pointer(&salen)))
	} else {
		n, _, e = unix.Syscall6(unix.SYS_RECVFROM, uintptr(l.fd),
			uintptr(unsafe.Pointer(&l.buf[0])), uintptr(len(l.buf)), 0,
			uintptr(unsafe.Pointer(&l.rsa)), uintptr(unsafe.Pointer(&salen)))
	}
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

// ntohs converts a port between network byte order, as a sockaddr holds
// it, and the host's; the same swap, or none, serves both ways.
func ntohs(v uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], v)
	return binary.BigEndian.Uint16(b[:])
}
