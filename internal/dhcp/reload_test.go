package dhcp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
)

// TestReload: a reloaded configuration serves from the next request on;
// the leases bound before stay with their clients where still in a pool.
func TestReload(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	held := bind(t, f, stranger)
	if held != "192.168.1.150" {
		t.Fatalf("first address %s, want the pool's first, 192.168.1.150", held)
	}

	// The pool shrinks to the held address, a second one comes, and the
	// lease time is 1 h.
	next := lab(t)
	sub := &next.DHCP.Subnets[0]
	sub.Pools = []config.Range{
		{First: netip.MustParseAddr("192.168.1.150"), Last: netip.MustParseAddr("192.168.1.150")},
		{First: netip.MustParseAddr("192.168.1.200"), Last: netip.MustParseAddr("192.168.1.209")},
	}
	next.DHCP.LeaseTime = config.Duration(time.Hour)
	if err := f.r.Reload(next); err != nil {
		t.Fatal(err)
	}

	renew := msg(t, dhcpv4.MessageTypeRequest, stranger, dhcpv4.WithClientIP(net.ParseIP(held)))
	got := summarize(f.do(renew), renew, 51)
	if got.Type != "ACK" || got.YIAddr != held {
		t.Errorf("renewing %s after the reload: %+v", held, got)
	}
	if want := string(dhcpv4.OptIPAddressLeaseTime(time.Hour).Value.ToBytes()); got.Options[51] != want {
		t.Errorf("lease time after the reload % x, want 1h (% x)", got.Options[51], want)
	}
	if ip := bind(t, f, stranger2); ip != "192.168.1.200" {
		t.Errorf("a new client after the reload got %s, want the new pool's 192.168.1.200", ip)
	}
}
