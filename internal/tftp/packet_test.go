package tftp

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePacket(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want packet
		err  bool
	}{
		{"rrq", "\x00\x01pxelinux.0\x00octet\x00", packet{Op: OpRRQ, Filename: "pxelinux.0", Mode: "octet"}, false},
		{"rrq options", "\x00\x01a\x00OCTET\x00blksize\x001432\x00tsize\x000\x00",
			packet{Op: OpRRQ, Filename: "a", Mode: "OCTET", Options: []Option{{"blksize", "1432"}, {"tsize", "0"}}}, false},
		{"wrq", "\x00\x02a\x00netascii\x00", packet{Op: OpWRQ, Filename: "a", Mode: "netascii"}, false},
		{"data", "\x00\x03\xff\xffxyz", packet{Op: OpDATA, Block: 65535, Data: []byte("xyz")}, false},
		{"empty data", "\x00\x03\x00\x01", packet{Op: OpDATA, Block: 1, Data: []byte{}}, false},
		{"ack", "\x00\x04\x00\x07", packet{Op: OpACK, Block: 7}, false},
		{"padded ack", "\x00\x04\x00\x07\x00\x00", packet{Op: OpACK, Block: 7}, false},
		{"error", "\x00\x05\x00\x08tsize probe\x00", packet{Op: OpERROR, Code: 8, Message: "tsize probe"}, false},
		{"error unterminated", "\x00\x05\x00\x01gone", packet{Op: OpERROR, Code: 1, Message: "gone"}, false},
		{"oack", "\x00\x06tsize\x0042\x00", packet{Op: OpOACK, Options: []Option{{"tsize", "42"}}}, false},
		{"empty", "", packet{}, true},
		{"one byte", "\x00", packet{}, true},
		{"opcode 0", "\x00\x00", packet{}, true},
		{"opcode 7", "\x00\x07a\x00", packet{}, true},
		{"unterminated name", "\x00\x01abc", packet{}, true},
		{"no mode", "\x00\x01abc\x00", packet{}, true},
		{"unterminated mode", "\x00\x01abc\x00oct", packet{}, true},
		{"empty name", "\x00\x01\x00octet\x00", packet{}, true},
		{"odd options", "\x00\x01a\x00octet\x00blksize\x00", packet{}, true},
		{"unterminated value", "\x00\x01a\x00octet\x00blksize\x00512", packet{}, true},
		{"empty option name", "\x00\x01a\x00octet\x00\x00512\x00", packet{}, true},
		{"short ack", "\x00\x04\x00", packet{}, true},
		{"short data", "\x00\x03\x00", packet{}, true},
		{"short error", "\x00\x05\x00", packet{}, true},
	}
	for _, c := range cases {
		got, err := parsePacket([]byte(c.in))
		if (err != nil) != c.err {
			t.Errorf("%s: error %v, want error %v", c.name, err, c.err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		if err == nil && c.name != "padded ack" && c.name != "error unterminated" {
			if enc := got.append(nil); string(enc) != c.in {
				t.Errorf("%s: encodes to %q, want %q", c.name, enc, c.in)
			}
		}
	}
}

// TestCaptureRequests parses every RRQ that real firmware sent in the lab
// captures, the way the server sees them.
func TestCaptureRequests(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"testdata/pxelinux-tftp-rrq.pcap": {
			"pxelinux.0", "ldlinux.c32", "pxelinux.cfg/01-00-18-e7-42-84-3a", "pxelinux.cfg/C0A80165",
		},
		"testdata/ovmf-uefi-dhcp-tftp.pcap": {
			"debian-installer/amd64/grubx64.efi", "/debian-installer/amd64/grub/x86_64-efi/command.lst",
		},
	}
	for file, names := range want {
		rrqs := captureRequests(t, file)
		got := map[string]bool{}
		for _, b := range rrqs {
			p, err := parsePacket(b)
			if err != nil {
				t.Errorf("%s: %q: %v", file, b, err)
				continue
			}
			if p.Op != OpRRQ || p.Mode != "octet" || len(p.Options) != 2 {
				t.Errorf("%s: unexpected request %+v", file, p)
			}
			neg := negotiate(p.Options, limits{maxBlockSize: 1468, maxWindowSize: 64, size: 1000})
			if len(neg.oack) != 2 || neg.blockSize < 1024 {
				t.Errorf("%s: %q negotiates %+v, want blksize and tsize acknowledged", file, p.Filename, neg)
			}
			got[p.Filename] = true
		}
		for _, n := range names {
			if !got[n] {
				t.Errorf("%s: no RRQ for %q among %d requests", file, n, len(rrqs))
			}
		}
	}
}

// captureRequests returns the UDP payloads sent to port 69 in a pcap file
// (24-byte file header, then a 16-byte header before each Ethernet frame).
func captureRequests(t testing.TB, file string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pcapUDPPayloads(b, 69)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return out
}

func pcapUDPPayloads(b []byte, port uint16) ([][]byte, error) {
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		return nil, errors.New("not a little-endian Ethernet pcap")
	}
	var out [][]byte
	for b = b[24:]; len(b) >= 16; {
		incl := int(binary.LittleEndian.Uint32(b[8:]))
		if len(b) < 16+incl {
			return nil, errors.New("truncated record")
		}
		frame := b[16 : 16+incl]
		b = b[16+incl:]
		if len(frame) < 14+20 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			continue
		}
		ip := frame[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		udp := ip[ihl:]
		if binary.BigEndian.Uint16(udp[2:]) != port {
			continue
		}
		ulen := int(binary.BigEndian.Uint16(udp[4:]))
		if ulen < 8 || ulen > len(udp) {
			continue
		}
		out = append(out, udp[8:ulen])
	}
	return out, nil
}
