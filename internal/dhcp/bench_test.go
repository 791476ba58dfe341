package dhcp

import (
	"net"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
)

// benchPool makes the lab subnet a /16 with one pool of 65,534
// addresses, the shape bench/dhcp measures with perfdhcp.
func benchPool(c *config.Config) {
	s := &c.DHCP.Subnets[0]
	s.Network.Prefix = netip.MustParsePrefix("192.168.0.0/16")
	s.Pools[0] = config.Range{First: netip.MustParseAddr("192.168.0.1"), Last: netip.MustParseAddr("192.168.255.254")}
	c.Hosts = nil
}

func benchMAC(i int) net.HardwareAddr {
	return net.HardwareAddr{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
}

// BenchmarkRespond measures the pure decision on the hot path of a lease
// (DISCOVER from a new client, REQUEST in SELECTING state), and the same
// with the wire decoding and encoding the serving loop adds.
// Run: go test -run '^$' -bench Respond -benchmem ./internal/dhcp/
func BenchmarkRespond(b *testing.B) {
	b.Run("discover", func(b *testing.B) {
		f := newFixture(b, benchPool)
		reqs := make([]*dhcpv4.DHCPv4, 50000)
		for i := range reqs {
			reqs[i] = msg(b, dhcpv4.MessageTypeDiscover, benchMAC(i), pxeBIOS())
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%len(reqs) == 0 {
				b.StopTimer()
				f = newFixture(b, benchPool)
				b.StartTimer()
			}
			if d := f.r.Respond(reqs[i%len(reqs)], in); d.Reply == nil {
				b.Fatal(d.Reason)
			}
		}
	})
	b.Run("request", func(b *testing.B) {
		f := newFixture(b, benchPool)
		req := msg(b, dhcpv4.MessageTypeRequest, benchMAC(1), pxeBIOS(), requested("192.168.7.7"), serverID("192.168.1.21"))
		b.ReportAllocs()
		for b.Loop() {
			if d := f.r.Respond(req, in); d.Commit == nil {
				b.Fatal(d.Reason)
			}
		}
	})
	b.Run("request-wire", func(b *testing.B) {
		f := newFixture(b, benchPool)
		pkt := msg(b, dhcpv4.MessageTypeRequest, benchMAC(1), pxeBIOS(), requested("192.168.7.7"), serverID("192.168.1.21")).ToBytes()
		b.ReportAllocs()
		for b.Loop() {
			req, err := dhcpv4.FromBytes(pkt)
			if err != nil {
				b.Fatal(err)
			}
			d := f.r.Respond(req, in)
			if d.Reply == nil {
				b.Fatal(d.Reason)
			}
			_ = d.Reply.ToBytes()
		}
	})
}
