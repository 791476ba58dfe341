package dhcp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
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

// TestSetRateLimit: a reloaded rate limit holds from the next packet on.
func TestSetRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	s := &Server{Responder: f.r, Alloc: f.alloc}
	pkt := make([]byte, 300)
	copy(pkt[28:], stranger)
	s.SetRateLimit(RateLimit{PerMAC: 0.001, Burst: 2})
	var admitted int
	for range 5 {
		if s.admit(pkt) {
			admitted++
		}
	}
	if admitted != 2 {
		t.Errorf("a burst of 2: %d of 5 packets admitted", admitted)
	}
	s.SetRateLimit(RateLimit{PerMAC: -1}) // no limit
	for i := range 5 {
		if !s.admit(pkt) {
			t.Fatalf("packet %d refused after the limit was lifted", i)
		}
	}
}

// TestReloadWhileServing: requests decided while reloads swap the plan
// each get an offer from one plan or the other, never a mix or nothing
// (run with -race, it also checks the swap is safe).
func TestReloadWhileServing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a := lab(t)
	b := lab(t)
	b.DHCP.Subnets[0].Pools = []config.Range{{First: netip.MustParseAddr("192.168.1.200"), Last: netip.MustParseAddr("192.168.1.249")}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			next := a
			if i%2 == 0 {
				next = b
			}
			if err := f.r.Reload(next); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	// Fewer clients than either pool has addresses: each offer is held.
	inA, inB := lease.Range(a.DHCP.Subnets[0].Pools[0]), lease.Range(b.DHCP.Subnets[0].Pools[0])
	for i := range 45 {
		mac := net.HardwareAddr{0x02, 0, 0, 0, byte(i >> 8), byte(i)}
		d := f.r.Respond(msg(t, dhcpv4.MessageTypeDiscover, mac), in)
		if d.Reply == nil {
			t.Fatalf("DISCOVER %d during reloads: no offer (%s)", i, d.Reason)
		}
		ip, _ := netip.AddrFromSlice(d.Reply.YourIPAddr.To4())
		if !inA.Contains(ip) && !inB.Contains(ip) {
			t.Fatalf("DISCOVER %d during reloads: offered %s, in neither plan's pool", i, ip)
		}
	}
	<-done
}
