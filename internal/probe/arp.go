package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// The ARP codec is written here rather than taken from github.com/mdlayher/arp:
// its Client answers and resolves with the interface's own address as the
// sender, where an RFC 5227 probe must carry 0.0.0.0, and the packet is 28
// octets of fixed layout (RFC 826) that a pure function reads and a fuzz
// target checks. The frames travel on an mdlayher/packet datagram socket,
// which adds and strips the Ethernet header.

// arpLen is an ARP packet for IPv4 over Ethernet (RFC 826): hardware type,
// protocol type, their lengths, the operation, then sender and target
// hardware and protocol addresses.
const arpLen = 28

// ARP operations (RFC 826).
const (
	opRequest = 1
	opReply   = 2
)

const (
	hwEthernet    = 1      // ARP hardware type of Ethernet
	etherTypeIPv4 = 0x0800 // ARP protocol type of IPv4
	// EtherTypeARP is the Ethernet type of ARP frames, the packet socket's protocol.
	EtherTypeARP = 0x0806
)

// arpPacket is an ARP packet for IPv4 over Ethernet.
type arpPacket struct {
	Op                   uint16
	SenderMAC, TargetMAC net.HardwareAddr
	SenderIP, TargetIP   netip.Addr
}

// probeRequest is the ARP probe of RFC 5227 §2.1.1 for target, sent from
// the interface whose hardware address is mac: an ARP request whose sender
// IP is 0.0.0.0 and target hardware address zero, broadcast.
func probeRequest(mac net.HardwareAddr, target netip.Addr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("hardware address %s is not Ethernet's", mac)
	}
	if !target.Is4() {
		return nil, fmt.Errorf("%s is not an IPv4 address", target)
	}
	b := make([]byte, arpLen)
	binary.BigEndian.PutUint16(b[0:], hwEthernet)
	binary.BigEndian.PutUint16(b[2:], etherTypeIPv4)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], opRequest)
	copy(b[8:14], mac)
	// sender IP b[14:18] stays 0.0.0.0, target MAC b[18:24] zero.
	t := target.As4()
	copy(b[24:28], t[:])
	return b, nil
}

// errNotIPv4Ethernet: an ARP packet for another hardware or protocol.
var errNotIPv4Ethernet = errors.New("not ARP for IPv4 over Ethernet")

// parseARP reads an ARP packet (the payload of an Ethernet frame of type
// 0x0806). Anything else is refused with the reason; trailing octets (the
// Ethernet padding to 60 octets) are ignored.
func parseARP(b []byte) (arpPacket, error) {
	if len(b) < 8 {
		return arpPacket{}, fmt.Errorf("ARP packet of %d octets, shorter than its header", len(b))
	}
	if binary.BigEndian.Uint16(b[0:]) != hwEthernet || binary.BigEndian.Uint16(b[2:]) != etherTypeIPv4 || b[4] != 6 || b[5] != 4 {
		return arpPacket{}, errNotIPv4Ethernet
	}
	if len(b) < arpLen {
		return arpPacket{}, fmt.Errorf("ARP packet of %d octets, want %d", len(b), arpLen)
	}
	p := arpPacket{
		Op:        binary.BigEndian.Uint16(b[6:]),
		SenderMAC: net.HardwareAddr(append([]byte(nil), b[8:14]...)),
		SenderIP:  netip.AddrFrom4([4]byte(b[14:18])),
		TargetMAC: net.HardwareAddr(append([]byte(nil), b[18:24]...)),
		TargetIP:  netip.AddrFrom4([4]byte(b[24:28])),
	}
	if p.Op != opRequest && p.Op != opReply {
		return arpPacket{}, fmt.Errorf("ARP operation %d is neither request nor reply", p.Op)
	}
	return p, nil
}

// claim is what an ARP packet says of who uses an address: RFC 5227
// §2.1.1, any ARP packet, request or reply, whose sender IP is the address
// probed means a host uses it. A probe of another host (sender IP 0.0.0.0)
// or a packet from ourselves claims nothing.
func (p arpPacket) claim(own net.HardwareAddr) (Answer, bool) {
	if !p.SenderIP.IsValid() || p.SenderIP.IsUnspecified() || string(p.SenderMAC) == string(own) {
		return Answer{}, false
	}
	return Answer{IP: p.SenderIP, MAC: p.SenderMAC}, true
}
