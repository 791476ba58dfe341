package dhcp

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// TestBuildUDP4: the datagram a packet socket sends has valid IPv4 and UDP
// checksums (RFC 1071: summing a header with its checksum gives all ones),
// and the addresses, ports and lengths of the reply.
func TestBuildUDP4(t *testing.T) {
	t.Parallel()
	src := netip.MustParseAddrPort("192.168.1.21:67")
	dst := netip.MustParseAddrPort("192.168.1.150:68")
	for _, payload := range [][]byte{[]byte("even"), []byte("odd"), {}} {
		b := buildUDP4(src, dst, payload)
		ip, udp := b[:20], b[20:]
		if got := fold(sum16(0, ip)); got != 0xffff {
			t.Errorf("%q: IPv4 header sums to %#x, want 0xffff", payload, got)
		}
		s, d := src.Addr().As4(), dst.Addr().As4()
		acc := sum16(sum16(0, s[:]), d[:]) + protoUDP + uint32(len(udp))
		if got := fold(sum16(acc, udp)); got != 0xffff {
			t.Errorf("%q: UDP datagram sums to %#x with its pseudo-header, want 0xffff", payload, got)
		}
		if binary.BigEndian.Uint16(ip[2:]) != uint16(len(b)) || ip[9] != protoUDP ||
			netip.AddrFrom4([4]byte(ip[12:16])) != src.Addr() || netip.AddrFrom4([4]byte(ip[16:20])) != dst.Addr() {
			t.Errorf("%q: IPv4 header % x", payload, ip)
		}
		if binary.BigEndian.Uint16(udp[0:]) != 67 || binary.BigEndian.Uint16(udp[2:]) != 68 ||
			binary.BigEndian.Uint16(udp[4:]) != uint16(8+len(payload)) || string(udp[8:]) != string(payload) {
			t.Errorf("%q: UDP header and payload % x", payload, udp)
		}
	}
}
