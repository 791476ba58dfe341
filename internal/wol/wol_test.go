package wol

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPacket(t *testing.T) {
	t.Parallel()
	mac := net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	plain := bytes.Repeat([]byte{0xff}, 6)
	for range 16 {
		plain = append(plain, mac...)
	}
	tests := []struct {
		name     string
		password Password
		want     []byte
	}{
		{"no password", nil, plain},
		{"4-byte password", Password{192, 0, 2, 1}, append(bytes.Clone(plain), 192, 0, 2, 1)},
		{"6-byte password", Password{1, 2, 3, 4, 5, 6}, append(bytes.Clone(plain), 1, 2, 3, 4, 5, 6)},
	}
	for _, tt := range tests {
		got, err := Packet(mac, tt.password)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if len(got) != 102+len(tt.password) {
			t.Errorf("%s: %d bytes, want %d", tt.name, len(got), 102+len(tt.password))
		}
		gotMAC, gotPW, err := Parse(got)
		if err != nil {
			t.Errorf("%s: Parse of our own packet: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff([]any{mac, tt.password}, []any{gotMAC, gotPW}); diff != "" {
			t.Errorf("%s: Parse (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestPacketRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mac      net.HardwareAddr
		password Password
	}{
		{"EUI-64", net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}, nil},
		{"no MAC", nil, nil},
		{"5-byte password", net.HardwareAddr{1, 2, 3, 4, 5, 6}, Password{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		if got, err := Packet(tt.mac, tt.password); err == nil {
			t.Errorf("%s: Packet = % x, want an error", tt.name, got)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	good, _ := Packet(net.HardwareAddr{2, 0, 0, 0, 0, 1}, nil)
	flipped := bytes.Clone(good)
	flipped[50] ^= 1
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"short", good[:101]},
		{"no sync stream", append([]byte{0xfe}, good[1:]...)},
		{"address copies differ", flipped},
		{"3 trailing bytes", append(bytes.Clone(good), 1, 2, 3)},
	}
	for _, tt := range tests {
		if mac, _, err := Parse(tt.in); err == nil {
			t.Errorf("%s: Parse = %s, want an error", tt.name, mac)
		}
	}
}

func TestParsePassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Password
		wantErr bool
	}{
		{"", nil, false},
		{"01:02:03:0a:0B:ff", Password{1, 2, 3, 10, 11, 255}, false},
		{"01-02-03-04-05-06", Password{1, 2, 3, 4, 5, 6}, false},
		{"192.0.2.1", Password{192, 0, 2, 1}, false},
		{"01:02:03", nil, true},
		{"01:02:03:04:05:zz", nil, true},
		{"001:02:03:04:05:06", nil, true},
		{"2001:db8::1", nil, true},
		{"01::02:03:04:05:06", nil, true},
	}
	for _, tt := range tests {
		got, err := ParsePassword(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePassword(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePassword(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestDirectedBroadcast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"192.168.1.0/24", "192.168.1.255"},
		{"192.168.1.77/24", "192.168.1.255"},
		{"10.0.0.0/8", "10.255.255.255"},
		{"172.16.4.0/22", "172.16.7.255"},
		{"192.0.2.4/31", "192.0.2.4"},
		{"2001:db8::/64", "invalid IP"},
	}
	for _, tt := range tests {
		if got := DirectedBroadcast(netip.MustParsePrefix(tt.in)).String(); got != tt.want {
			t.Errorf("DirectedBroadcast(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestSendLoopback sends to a listener on loopback (never a real network)
// and checks that the datagram that arrives is the packet.
func TestSendLoopback(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	mac := net.HardwareAddr{0x52, 0x54, 0, 0xab, 0xcd, 0xef}
	s := Sender{Port: port}
	if err := s.Send(context.Background(), netip.MustParseAddr("127.0.0.1"), mac, Password{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	gotMAC, gotPW, err := Parse(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{mac, Password{1, 2, 3, 4}}, []any{gotMAC, gotPW}); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	p, _ := Packet(net.HardwareAddr{2, 0, 0, 0, 0, 1}, nil)
	f.Add(p)
	p, _ = Packet(net.HardwareAddr{2, 0, 0, 0, 0, 1}, Password{1, 2, 3, 4, 5, 6})
	f.Add(p)
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		mac, pw, err := Parse(b)
		if err != nil {
			return
		}
		// What Parse accepts, Packet writes back byte for byte.
		again, err := Packet(mac, pw)
		if err != nil {
			t.Fatalf("Parse accepted %x (mac %s, password %x) that Packet refuses: %v", b, mac, pw, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("Packet(Parse(%x)) = %x", b, again)
		}
	})
}

func FuzzParsePassword(f *testing.F) {
	f.Add("01:02:03:04:05:06")
	f.Add("192.0.2.1")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePassword(s)
		if err != nil {
			return
		}
		if n := len(p); n != 0 && n != 4 && n != 6 {
			t.Fatalf("ParsePassword(%q) = %d bytes", s, n)
		}
	})
}
