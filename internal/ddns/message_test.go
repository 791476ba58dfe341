package ddns

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestMessages checks each update's sections as RFC 2136 §2.4, §2.5 and
// RFC 4703 §5 have them: class and type say which prerequisite or
// change an RR is (miekg/dns writes class ANY as CLASS255).
func TestMessages(t *testing.T) {
	r, err := Plan(Zones{Forward: "test.lan", Reverse: []string{"1.168.192.in-addr.arpa"}, TTL: 300},
		Lease{IP: netip.MustParseAddr("192.168.1.102"), MAC: net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x21}, Name: "station-02"})
	if err != nil {
		t.Fatal(err)
	}
	d := r.DHCID
	tests := []struct {
		name string
		m    *dns.Msg
		zone string
		pre  []string
		upd  []string
	}{
		{"add a new name (RFC 4703 §5.3.1)", addNew(r), "test.lan.",
			[]string{"station-02.test.lan. 0 NONE ANY"},
			[]string{"station-02.test.lan. 300 IN A 192.168.1.102", "station-02.test.lan. 300 IN DHCID " + d}},
		{"update our own name (§5.3.2)", addOwned(r), "test.lan.",
			[]string{"station-02.test.lan. 0 IN DHCID " + d},
			[]string{"station-02.test.lan. 0 CLASS255 A", "station-02.test.lan. 300 IN A 192.168.1.102"}},
		{"replace the PTR (§5.4)", setPTR(r), "1.168.192.in-addr.arpa.",
			nil,
			[]string{"102.1.168.192.in-addr.arpa. 0 CLASS255 PTR", "102.1.168.192.in-addr.arpa. 300 IN PTR station-02.test.lan."}},
		{"remove our address (§5.5)", removeA(r), "test.lan.",
			[]string{"station-02.test.lan. 0 IN DHCID " + d},
			[]string{"station-02.test.lan. 0 NONE A 192.168.1.102"}},
		{"remove the DHCID when no address is left (§5.5)", removeDHCID(r), "test.lan.",
			[]string{"station-02.test.lan. 0 IN DHCID " + d, "station-02.test.lan. 0 NONE A", "station-02.test.lan. 0 NONE AAAA"},
			[]string{"station-02.test.lan. 0 CLASS255 DHCID"}},
		{"remove our PTR", removePTR(r), "1.168.192.in-addr.arpa.",
			nil,
			[]string{"102.1.168.192.in-addr.arpa. 0 NONE PTR station-02.test.lan."}},
	}
	for _, tt := range tests {
		if tt.m.Opcode != dns.OpcodeUpdate || len(tt.m.Question) != 1 || tt.m.Question[0].Name != tt.zone || tt.m.Question[0].Qtype != dns.TypeSOA {
			t.Errorf("%s: zone section %v, want %s SOA", tt.name, tt.m.Question, tt.zone)
		}
		if got := rrLines(tt.m.Answer); strings.Join(got, "|") != strings.Join(tt.pre, "|") {
			t.Errorf("%s: prerequisites\n got %q\nwant %q", tt.name, got, tt.pre)
		}
		if got := rrLines(tt.m.Ns); strings.Join(got, "|") != strings.Join(tt.upd, "|") {
			t.Errorf("%s: updates\n got %q\nwant %q", tt.name, got, tt.upd)
		}
		// Every message packs: what the builders make is valid wire.
		if _, err := tt.m.Pack(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func rrLines(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	return out
}
