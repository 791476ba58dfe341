package probe

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProbeRequest: the probe is RFC 5227 §2.1.1's, octet for octet: an
// ARP request (RFC 826, Ethernet/IPv4), sender IP 0.0.0.0, target MAC zero.
func TestProbeRequest(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x21}
	b, err := probeRequest(mac, netip.MustParseAddr("192.168.1.150"))
	if err != nil {
		t.Fatal(err)
	}
	want := "0001" + "0800" + "06" + "04" + "0001" + "020000000021" + "00000000" + "000000000000" + "c0a80196"
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("probe = %s\nwant    %s", got, want)
	}
	// It reads back, and claims nothing: its sender IP is unspecified.
	p, err := parseARP(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.claim(net.HardwareAddr{2, 0, 0, 0, 0, 0x99}); ok {
		t.Errorf("a probe (sender 0.0.0.0) was taken as a claim")
	}
	for _, bad := range []struct {
		mac net.HardwareAddr
		ip  string
	}{{mac[:4], "192.168.1.1"}, {mac, "2001:db8::1"}} {
		if _, err := probeRequest(bad.mac, netip.MustParseAddr(bad.ip)); err == nil {
			t.Errorf("probeRequest(%s, %s) made a probe", bad.mac, bad.ip)
		}
	}
}

// TestParseARP: a Linux host's reply to a probe (captured form: a unicast
// reply, padded to the Ethernet minimum), a gratuitous ARP, and packets
// that are not ARP for IPv4 over Ethernet.
func TestParseARP(t *testing.T) {
	own := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x21}
	squatter := net.HardwareAddr{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}
	reply := "0001080006040002" + "02aabbccdd01" + "c0a80196" + "020000000021" + "00000000" + "000000000000000000000000000000000000"
	gratuitous := "0001080006040001" + "02aabbccdd01" + "c0a80166" + "000000000000" + "c0a80166"
	ours := "0001080006040002" + "020000000021" + "c0a80115" + "02aabbccdd01" + "c0a80196"
	for _, tc := range []struct {
		name, hex string
		want      Answer
		claims    bool
		err       bool
	}{
		{name: "reply to a probe", hex: reply, want: Answer{IP: netip.MustParseAddr("192.168.1.150"), MAC: squatter}, claims: true},
		{name: "gratuitous", hex: gratuitous, want: Answer{IP: netip.MustParseAddr("192.168.1.102"), MAC: squatter}, claims: true},
		{name: "our own", hex: ours},
		{name: "short", hex: reply[:40], err: true},
		{name: "header only", hex: "00010800", err: true},
		{name: "token ring", hex: "0006080006040002" + reply[16:], err: true},
		{name: "RARP operation", hex: "0001080006040003" + reply[16:], err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tc.hex)
			p, err := parseARP(b)
			if (err != nil) != tc.err {
				t.Fatalf("parseARP error %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			a, ok := p.claim(own)
			if ok != tc.claims {
				t.Fatalf("claims %v, want %v", ok, tc.claims)
			}
			if diff := cmp.Diff(tc.want, a, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); ok && diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseARP: any input is read or refused, never a panic; what is
// read encodes back to the same 28 octets.
func FuzzParseARP(f *testing.F) {
	b, _ := probeRequest(net.HardwareAddr{2, 0, 0, 0, 0, 1}, netip.MustParseAddr("10.0.0.1"))
	f.Add(b)
	f.Add([]byte{0, 1, 8, 0, 6, 4, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseARP(b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		out.Write(b[:8])
		out.Write(p.SenderMAC)
		s := p.SenderIP.As4()
		out.Write(s[:])
		out.Write(p.TargetMAC)
		d := p.TargetIP.As4()
		out.Write(d[:])
		if !bytes.Equal(out.Bytes(), b[:arpLen]) {
			t.Errorf("read %x as %+v, which encodes as %x", b, p, out.Bytes())
		}
	})
}
