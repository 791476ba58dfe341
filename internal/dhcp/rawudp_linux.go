package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpIO is one worker's reader and sender on one UDP socket, with raw
// system calls that wait for the socket through Go's poller
// (syscall.RawConn). The socket is non-blocking, so a call never waits in
// the kernel; a raw call skips the runtime's system-call bookkeeping,
// which wakes the scheduler's monitor thread (sysmon) whenever it sleeps,
// as it does on a server idle between two packets: at 1,000 leases/s, the
// 4,000 datagrams a second woke it about 2,000 times a second (perf stat:
// futex and nanosleep calls of pxed's threads). Not safe for concurrent
// use: each worker has its own.
type udpIO struct {
	conn *net.UDPConn
	rc   syscall.RawConn
	// The state of the call in progress, in the struct so that the
	// functions given to rc (made once) allocate nothing per datagram.
	buf    []byte
	n      int
	sa     unix.RawSockaddrAny
	salen  uint32
	to     unix.RawSockaddrInet4
	errno  syscall.Errno
	recvFn func(uintptr) bool
	sendFn func(uintptr) bool
}

func newUDPIO(conn *net.UDPConn) (*udpIO, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	u := &udpIO{conn: conn, rc: rc}
	u.recvFn, u.sendFn = u.recv, u.send
	return u, nil
}

// readFrom reads one datagram into buf, as net.UDPConn.ReadFromUDPAddrPort.
func (u *udpIO) readFrom(buf []byte) (int, netip.AddrPort, error) {
	u.buf, u.errno = buf, 0
	err := u.rc.Read(u.recvFn)
	u.buf = nil
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	if u.errno != 0 {
		return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Err: u.errno}
	}
	return u.n, sockaddrAddrPort(&u.sa), nil
}

// recv is one try of recvfrom(2); false: nothing to read yet, wait.
func (u *udpIO) recv(fd uintptr) bool {
	for {
		u.salen = uint32(unsafe.Sizeof(u.sa))
		r, _, e := syscall.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(u.buf))), uintptr(len(u.buf)),
			0, uintptr(unsafe.Pointer(&u.sa)), uintptr(unsafe.Pointer(&u.salen)))
		switch e {
		case 0:
			u.n = int(r)
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		u.errno = e
		return true
	}
}

// writeTo sends b to an address, as net.UDPConn.WriteToUDPAddrPort.
func (u *udpIO) writeTo(b []byte, to netip.AddrPort) error {
	a := to.Addr().Unmap()
	if !a.Is4() {
		_, err := u.conn.WriteToUDPAddrPort(b, to)
		return err
	}
	u.buf, u.errno = b, 0
	u.to = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: htons(to.Port()), Addr: a.As4()}
	err := u.rc.Write(u.sendFn)
	u.buf = nil
	if err != nil {
		return err
	}
	if u.errno != 0 {
		return &net.OpError{Op: "write", Net: "udp", Addr: net.UDPAddrFromAddrPort(to), Err: u.errno}
	}
	return nil
}

// send is one try of sendto(2); false: the send buffer is full, wait.
func (u *udpIO) send(fd uintptr) bool {
	for {
		_, _, e := syscall.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(u.buf))), uintptr(len(u.buf)),
			0, uintptr(unsafe.Pointer(&u.to)), unsafe.Sizeof(u.to))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		u.errno = e
		return true
	}
}

// sockaddrAddrPort is the address and port of an AF_INET or AF_INET6
// socket address; the zero AddrPort for any other family.
func sockaddrAddrPort(sa *unix.RawSockaddrAny) netip.AddrPort {
	switch sa.Addr.Family {
	case unix.AF_INET:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(in.Addr), ntohs(in.Port))
	case unix.AF_INET6:
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom16(in.Addr), ntohs(in.Port))
	}
	return netip.AddrPort{}
}

// ntohs reads a port as the kernel stores it: network byte order in memory.
func ntohs(p uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], p)
	return binary.BigEndian.Uint16(b[:])
}
