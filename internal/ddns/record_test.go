package ddns

import (
	"net"
	"net/netip"
	"testing"
)

// RFC 4701 §3.6 gives a DHCID of each kind: a client by its hardware
// address (htype 1, chaddr 01:02:03:04:05:06, client.example.com) and by
// its client identifier (01:07:08:09:0a:0b:0c, chi.example.com).
func TestDHCIDExamplesOfRFC4701(t *testing.T) {
	mac := net.HardwareAddr{1, 2, 3, 4, 5, 6}
	tests := []struct {
		name string
		id   []byte
		fqdn string
		want string
	}{
		{"chaddr", Identifier(mac, nil), "client.example.com", "AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY="},
		// option 61 of type 1 and the client's own MAC names the same
		// client as the MAC: the same DHCID.
		{"client-id of its own MAC", Identifier(mac, []byte{1, 1, 2, 3, 4, 5, 6}), "Client.Example.com.", "AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY="},
		{"client-id", Identifier(mac, []byte{1, 7, 8, 9, 0xa, 0xb, 0xc}), "chi.example.com", "AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No="},
	}
	for _, tt := range tests {
		if got := DHCID(tt.id, tt.fqdn); got != tt.want {
			t.Errorf("%s: DHCID = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestQualify(t *testing.T) {
	tests := []struct {
		name, domain, zone string
		want               string
		err                bool
	}{
		{"station-02", "test.lan", "test.lan", "station-02.test.lan.", false},
		{"Station-02", "", "test.lan", "station-02.test.lan.", false},
		{"web", "lab.test.lan.", "test.lan", "web.lab.test.lan.", false},
		{"web.test.lan.", "other.lan", "test.lan", "web.test.lan.", false},
		{"web.other.lan", "test.lan", "test.lan", "", true},
		{"web", "other.lan", "test.lan", "", true},
		{"", "test.lan", "test.lan", "", true},
	}
	for _, tt := range tests {
		got, err := Qualify(tt.name, tt.domain, tt.zone)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Qualify(%q, %q, %q) = %q, %v; want %q, error %v", tt.name, tt.domain, tt.zone, got, err, tt.want, tt.err)
		}
	}
}

func TestPlan(t *testing.T) {
	z := Zones{Forward: "test.lan", Reverse: []string{"168.192.in-addr.arpa", "1.168.192.in-addr.arpa."}, TTL: 300}
	mac := net.HardwareAddr{0x00, 0x18, 0xe7, 0x42, 0x85, 0x21}
	r, err := Plan(z, Lease{IP: netip.MustParseAddr("192.168.1.102"), MAC: mac, Name: "station-02"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "station-02.test.lan." || r.Forward != "test.lan." || r.Reverse != "102.1.168.192.in-addr.arpa." ||
		r.ReverseZone != "1.168.192.in-addr.arpa." || r.TTL != 300 {
		t.Errorf("Plan = %+v", r)
	}
	if want := DHCID(Identifier(mac, nil), "station-02.test.lan"); r.DHCID != want {
		t.Errorf("DHCID %s, want %s", r.DHCID, want)
	}
	r, err = Plan(z, Lease{IP: netip.MustParseAddr("10.0.0.5"), MAC: mac, Name: "x"})
	if err != nil || r.ReverseZone != "" {
		t.Errorf("address outside every reverse zone: %+v, %v; want no PTR", r, err)
	}
	if _, err := Plan(z, Lease{IP: netip.MustParseAddr("192.168.1.9"), MAC: mac}); err == nil {
		t.Error("a lease without a name was planned")
	}
}
