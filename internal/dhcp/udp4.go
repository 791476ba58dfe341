package dhcp

import (
	"encoding/binary"
	"net/netip"
)

// protoUDP is UDP's IP protocol number (RFC 768).
const protoUDP = 17

// buildUDP4 makes an IPv4 header (RFC 791) and a UDP header (RFC 768) with
// both checksums around payload.
func buildUDP4(src, dst netip.AddrPort, payload []byte) []byte {
	b := make([]byte, 28+len(payload))
	ip := b[:20]
	ip[0] = 0x45 // version 4, 5 words
	binary.BigEndian.PutUint16(ip[2:], uint16(len(b)))
	ip[8] = 64 // TTL
	ip[9] = protoUDP
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum16(0, ip)))
	udp := b[20:]
	binary.BigEndian.PutUint16(udp[0:], src.Port())
	binary.BigEndian.PutUint16(udp[2:], dst.Port())
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	copy(udp[8:], payload)
	// Pseudo-header: source, destination, protocol, UDP length.
	acc := sum16(0, s[:])
	acc = sum16(acc, d[:])
	acc += uint32(protoUDP) + uint32(8+len(payload))
	c := ^fold(sum16(acc, udp))
	if c == 0 {
		c = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(udp[6:], c)
	return b
}

// sum16 adds b as big-endian 16-bit words to acc (RFC 1071).
func sum16(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

// fold folds the carries of a one's-complement sum into 16 bits.
func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}
