package dhcp

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// capturedRequests returns the DHCP requests (UDP to port 67) of a pcap
// file of Ethernet frames, in order. The format: a 24-byte file header, then
// per packet a 16-byte record header and the frame.
func capturedRequests(t testing.TB, path string) []*dhcpv4.DHCPv4 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap file", path)
	}
	var out []*dhcpv4.DHCPv4
	for off := 24; off+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		frame := b[off+16 : off+16+n]
		off += 16 + n
		payload, dport, err := udpPayload(frame)
		if err != nil || dport != 67 {
			continue
		}
		m, err := dhcpv4.FromBytes(payload)
		if err != nil {
			t.Fatalf("%s: captured request does not parse: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

func udpPayload(frame []byte) ([]byte, uint16, error) {
	if len(frame) < 14+20+8 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
		return nil, 0, fmt.Errorf("not IPv4")
	}
	ip := frame[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[9] != 17 || len(ip) < ihl+8 {
		return nil, 0, fmt.Errorf("not UDP")
	}
	udp := ip[ihl:]
	return udp[8:binary.BigEndian.Uint16(udp[4:])], binary.BigEndian.Uint16(udp[2:]), nil
}
