package wol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// syncStream is the start of every magic packet.
var syncStream = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// repeats is how often the MAC address follows the synchronization stream.
const repeats = 16

// Size is the length of a magic packet without a password.
const Size = len(syncStream) + repeats*6

// Port is where pxed sends magic packets: UDP 9 (discard, RFC 863), the
// port tools and firmware documentation use; a NIC in its wake-up state
// looks for the pattern in any frame and ignores the port.
const Port = 9

// Password is a SecureOn password: none, or 4 or 6 bytes that the NIC
// compares with the bytes after the sixteenth MAC address.
type Password []byte

// ParsePassword reads a SecureOn password as tools write it: six bytes in
// MAC notation ("01:02:03:04:05:06", also with "-"), or four as an IPv4
// address ("192.0.2.1"). An empty string is no password.
func ParsePassword(s string) (Password, error) {
	if s == "" {
		return nil, nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		b := a.As4()
		return Password(b[:]), nil
	}
	parts := strings.Split(strings.ReplaceAll(s, "-", ":"), ":")
	if len(parts) != 6 {
		return nil, fmt.Errorf("SecureOn password %q: want 6 hex bytes (01:02:03:04:05:06) or 4 as an IPv4 address", s)
	}
	p := make(Password, 6)
	for i, h := range parts {
		v, err := strconv.ParseUint(h, 16, 8)
		if err != nil || len(h) != 2 {
			return nil, fmt.Errorf("SecureOn password %q: byte %d (%q) is not hex", s, i+1, h)
		}
		p[i] = byte(v)
	}
	return p, nil
}

// Packet returns the magic packet that wakes the NIC with address mac
// (EUI-48), with password appended when it is not empty.
func Packet(mac net.HardwareAddr, password Password) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("wake-on-LAN needs a 6-byte MAC address, not %d bytes (%s)", len(mac), mac)
	}
	switch len(password) {
	case 0, 4, 6:
	default:
		return nil, fmt.Errorf("a SecureOn password has 4 or 6 bytes, not %d", len(password))
	}
	b := make([]byte, 0, Size+len(password))
	b = append(b, syncStream[:]...)
	for range repeats {
		b = append(b, mac...)
	}
	return append(b, password...), nil
}

// ErrNotMagic is Parse's answer to bytes that are not a magic packet.
var ErrNotMagic = errors.New("not a wake-on-LAN magic packet")

// Parse reads a magic packet: the MAC address it wakes and its password
// (nil when it has none). It is strict, as a test of pxed's own packets
// should be: exactly the synchronization stream, sixteen copies of one
// address, then nothing or a 4- or 6-byte password.
func Parse(b []byte) (net.HardwareAddr, Password, error) {
	if len(b) < Size {
		return nil, nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrNotMagic, len(b), Size)
	}
	if !bytes.Equal(b[:6], syncStream[:]) {
		return nil, nil, fmt.Errorf("%w: does not start with six 0xFF bytes", ErrNotMagic)
	}
	mac := b[6:12]
	for i := 1; i < repeats; i++ {
		if !bytes.Equal(b[6+6*i:12+6*i], mac) {
			return nil, nil, fmt.Errorf("%w: copy %d of the address differs from the first", ErrNotMagic, i+1)
		}
	}
	rest := b[Size:]
	switch len(rest) {
	case 0:
		return net.HardwareAddr(bytes.Clone(mac)), nil, nil
	case 4, 6:
		return net.HardwareAddr(bytes.Clone(mac)), Password(bytes.Clone(rest)), nil
	}
	return nil, nil, fmt.Errorf("%w: %d bytes after the addresses, want 0, 4 or 6", ErrNotMagic, len(rest))
}

// DirectedBroadcast is the broadcast address of IPv4 network p (RFC 919
// §7, RFC 922 §7: all host bits set), for a /31 or /32 the address itself
// (RFC 3021: a point-to-point link has no broadcast). Invalid for an IPv6
// prefix: IPv6 has no broadcast.
func DirectedBroadcast(p netip.Prefix) netip.Addr {
	if !p.IsValid() || !p.Addr().Is4() {
		return netip.Addr{}
	}
	if p.Bits() >= 31 {
		return p.Addr()
	}
	a := p.Masked().Addr().As4()
	host := ^uint32(0) >> p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Sender sends magic packets. The zero value sends to Port.
//
// pxed sends a UDP datagram to the subnet's directed broadcast address
// rather than a raw Ethernet frame of EtherType 0x0842: a datagram needs no
// privilege (pxed has given up root and CAP_NET_RAW by the time an
// operator asks for a wake), the kernel picks the interface of the subnet
// from its routes, so no interface must be named, and a router configured
// to forward directed broadcasts (Cisco's "ip directed-broadcast", RFC
// 2644 makes it off by default) carries it to a subnet pxed reaches only
// through a DHCP relay. On the machine's own link the datagram is an
// Ethernet broadcast that every NIC sees, which is all a sleeping NIC
// needs.
type Sender struct {
	// Port is the UDP port (default Port).
	Port int
}

// Send sends the magic packet for mac (and password) to the IPv4 address
// to, normally a subnet's directed broadcast address.
func (s *Sender) Send(ctx context.Context, to netip.Addr, mac net.HardwareAddr, password Password) error {
	pkt, err := Packet(mac, password)
	if err != nil {
		return err
	}
	if !to.Is4() {
		return fmt.Errorf("wake-on-LAN goes to an IPv4 broadcast address, not %s", to)
	}
	port := s.Port
	if port == 0 {
		port = Port
	}
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			// Without SO_BROADCAST the kernel refuses to send to a
			// broadcast address (EACCES).
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
		})
		return errors.Join(err, serr)
	}}
	pc, err := lc.ListenPacket(ctx, "udp4", ":0")
	if err != nil {
		return fmt.Errorf("opening a socket for wake-on-LAN: %w", err)
	}
	defer pc.Close()
	if _, err := pc.WriteTo(pkt, net.UDPAddrFromAddrPort(netip.AddrPortFrom(to, uint16(port)))); err != nil {
		return fmt.Errorf("sending the magic packet for %s to %s: %w", mac, to, err)
	}
	return nil
}
