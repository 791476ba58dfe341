package dhcp

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// checkPlatform reports whether this system can serve DHCP: Linux can.
func checkPlatform() error { return nil }

// listenInterface opens the DHCP server socket of one interface: UDP port
// 67 on 0.0.0.0 (clients without an address send from 0.0.0.0 to
// 255.255.255.255), bound to the device so each interface has its own
// socket and replies leave where the request came in.
func listenInterface(ifname string, port int) (*net.UDPConn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	for _, o := range []struct{ opt, v int }{{unix.SO_REUSEADDR, 1}, {unix.SO_BROADCAST, 1}} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o.opt, o.v); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("setsockopt: %w", err)
		}
	}
	// A large receive buffer rides out bursts (a rack powering on, a
	// disk sync that holds the workers): with the default 208 KiB about
	// 150 requests queue before the kernel drops them. FORCE works with
	// CAP_NET_ADMIN; without it the kernel caps the size at rmem_max.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	if err := unix.BindToDevice(fd, ifname); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding to device %s: %w", ifname, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding UDP port %d on %s: %w", port, ifname, err)
	}
	f := os.NewFile(uintptr(fd), "dhcp-"+ifname)
	defer f.Close()
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil // a UDP socket's file gives a UDPConn
}

// linkSender sends IPv4/UDP datagrams straight to a MAC address on one
// interface. RFC 2131 §4.1: a reply to a client that has no address yet and
// did not ask for broadcast goes to its hardware address and yiaddr, which
// the ARP table cannot resolve; a packet socket (CAP_NET_RAW) does it.
type linkSender struct {
	fd      int
	ifindex int
}

func newLinkSender(ifindex int) (*linkSender, error) {
	// Protocol 0: the socket receives nothing, it only sends.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("packet socket: %w", err)
	}
	return &linkSender{fd: fd, ifindex: ifindex}, nil
}

func (l *linkSender) Close() error { return unix.Close(l.fd) }

func (l *linkSender) send(mac net.HardwareAddr, src, dst netip.AddrPort, payload []byte) error {
	pkt := buildUDP4(src, dst, payload)
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: l.ifindex, Halen: uint8(len(mac))}
	copy(sa.Addr[:], mac)
	return unix.Sendto(l.fd, pkt, 0, sa)
}

// htons returns v as the kernel wants a sockaddr_ll's protocol (packet(7)):
// its bytes in network order in memory, whatever the host's byte order.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
