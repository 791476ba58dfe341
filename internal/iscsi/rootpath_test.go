package iscsi

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Target
	}{
		// RFC 4173 §5: empty protocol, port and LUN take their defaults.
		{"iscsi:192.168.1.21::::iqn.2026-12.lan.test:station-01",
			Target{Server: "192.168.1.21", Port: 3260, Name: "iqn.2026-12.lan.test:station-01"}},
		{"iscsi:192.168.1.21:6:3261:1:iqn.2026-12.lan.test:station-01",
			Target{Server: "192.168.1.21", Port: 3261, LUN: [4]uint16{1}, Name: "iqn.2026-12.lan.test:station-01"}},
		// iPXE's documented examples (ipxe.org/err/3c0d63).
		{"iscsi:iscsi.example.com::::iqn.1991-05.com.microsoft:snubfin-msdos622-target",
			Target{Server: "iscsi.example.com", Port: 3260, Name: "iqn.1991-05.com.microsoft:snubfin-msdos622-target"}},
		{"iscsi:10.0.0.5:::1-7:iqn.2010-11.private:winsrvr2008",
			Target{Server: "10.0.0.5", Port: 3260, LUN: [4]uint16{1, 7}, Name: "iqn.2010-11.private:winsrvr2008"}},
		{"ISCSI:[2001:db8:1::21]:::4752-3A4B-6C6D-6E6F:eui.02004567A425678D",
			Target{Server: "2001:db8:1::21", Port: 3260, LUN: [4]uint16{0x4752, 0x3a4b, 0x6c6d, 0x6e6f}, Name: "eui.02004567A425678D"}},
		{"iscsi:san::::naa.52004567ba64678d",
			Target{Server: "san", Port: 3260, Name: "naa.52004567ba64678d"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, why string }{
		{"nfs:192.168.1.21:/srv/root", "does not start with"},
		{"iscsi:192.168.1.21:::iqn.2026-12.lan.test", "too few fields"},
		{"iscsi:::::iqn.2026-12.lan.test:x", "no server"},
		// Without brackets an IPv6 address is cut at its first colon.
		{"iscsi:2001:db8::1::::iqn.2026-12.lan.test:x", "protocol \"db8\""},
		{"iscsi:[192.168.1.21]::::iqn.2026-12.lan.test:x", "not an IPv6 address"},
		{"iscsi:[2001:db8::1::::iqn.2026-12.lan.test:x", "without"},
		{"iscsi:san_1::::iqn.2026-12.lan.test:x", "neither an IP address nor a DNS name"},
		{"iscsi:192.168.1.21:17:::iqn.2026-12.lan.test:x", "only 6 (TCP)"},
		{"iscsi:192.168.1.21::70000::iqn.2026-12.lan.test:x", "not a TCP port"},
		{"iscsi:192.168.1.21::0::iqn.2026-12.lan.test:x", "not a TCP port"},
		{"iscsi:192.168.1.21:::1-2-3-4-5:iqn.2026-12.lan.test:x", "more than four groups"},
		{"iscsi:192.168.1.21:::12345:iqn.2026-12.lan.test:x", "hexadecimal"},
		{"iscsi:192.168.1.21:::lun1:iqn.2026-12.lan.test:x", "hexadecimal"},
		{"iscsi:192.168.1.21::::", "no target name"},
		{"iscsi:192.168.1.21::::iqn.2026-12.lan.test:", "ends with"},
		{"iscsi:192.168.1.21::::station-01", "starts with iqn."},
		{"iscsi:192.168.1.21::::iqn.26-12.lan.test:x", "iqn.yyyy-mm."},
		{"iscsi:192.168.1.21::::iqn.2026-12", "reversed domain"},
		{"iscsi:192.168.1.21::::iqn.2026-12.lan.test:station 01", "not allowed"},
		{"iscsi:192.168.1.21::::eui.0200", "16 hex digits"},
		{"iscsi:192.168.1.21::::iqn.2026-12.lan.test:" + strings.Repeat("x", 223), "223"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tt.in, err, tt.why)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"iscsi:192.168.1.21::::iqn.2026-12.lan.test:s1":      "iscsi:192.168.1.21:6:3260:0:iqn.2026-12.lan.test:s1",
		"iscsi:[2001:db8::1]::3261:1-7:iqn.2026-12.lan.test": "iscsi:[2001:db8::1]:6:3261:1-7:iqn.2026-12.lan.test",
	} {
		tg, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := tg.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse: no input panics, and what Parse accepts it reads back the same
// from its own String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"iscsi:192.168.1.21::::iqn.2026-12.lan.test:station-01",
		"iscsi:[2001:db8::1]:6:3260:1-7:eui.02004567a425678d",
		"iscsi:san:::4752-3A4B-6C6D-6E6F:naa.52004567ba64678d",
		"iscsi:[::1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(tg.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, whose String %q does not parse: %v", s, tg, tg.String(), err)
		}
		if again != tg {
			t.Fatalf("Parse(%q) = %+v, but its String reads back as %+v", s, tg, again)
		}
	})
}
