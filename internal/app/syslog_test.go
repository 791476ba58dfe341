package app

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/ipmap"
)

// TestSenderOf: a syslog line's machine is the one an address was leased
// to, else the host whose fixed address it is; a stranger is nobody.
func TestSenderOf(t *testing.T) {
	cfg, err := config.Parse("pxed.yaml", []byte(`dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
hosts:
  - name: fixed
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.101
  - name: by-glob
    macs: ["00:18:e7:*"]
    ip: 192.168.1.102
`))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	who := &ipmap.Map{}
	leased, _ := net.ParseMAC("52:54:00:00:00:01")
	who.Record(events.Event{Kind: events.DHCPAck, MAC: leased, IP: netip.MustParseAddr("192.168.1.150")})
	sender := senderOf(who, &hostAddrs{snapshot: func() *catalog.Snapshot { return snap }})
	for _, tt := range []struct{ ip, want string }{
		{"192.168.1.150", "52:54:00:00:00:01"},
		{"192.168.1.101", "00:18:e7:42:84:3a"},
		{"::ffff:192.168.1.101", "00:18:e7:42:84:3a"},
		{"192.168.1.102", ""}, // a glob names no one machine
		{"192.168.1.200", ""},
	} {
		mac, ok := sender(context.Background(), netip.MustParseAddr(tt.ip))
		if got := mac.String(); got != tt.want || ok != (tt.want != "") {
			t.Errorf("sender of %s = %q, %v; want %q", tt.ip, got, ok, tt.want)
		}
	}
}
