package dhcp

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// checkPlatform reports whether this system can serve DHCP: Linux can.
func checkPlatform() error { return nil }

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
