package probe

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/lease"
)

// BenchmarkRoundBusyPool is one round of the prober over a /16 pool while
// clients take an address every millisecond (1,000 a second), with a
// window of 4096 and every address probed: what a round costs at the rate
// of the bench's 1,000/s step with probing of every offer.
func BenchmarkRoundBusyPool(b *testing.B) {
	c := &clock{t: t0}
	a, err := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	big := lease.Range{First: netip.MustParseAddr("10.77.0.10"), Last: netip.MustParseAddr("10.77.255.250")}
	l := &fakeLink{m: ARP}
	p := New(a, map[string]Link{"srv0": l}, nil, c.now)
	s := settings()
	s.Rate, s.Window = 10000, 4096
	p.SetPlan(Plan{Settings: s, Pools: []PoolTarget{{Subnet: netip.MustParsePrefix("10.77.0.0/16"), Range: big, Iface: "srv0"}}})
	mac := func(i int) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)} }
	n := 0
	b.ResetTimer()
	for range b.N {
		// 10 ms between rounds: ten clients take an address.
		for range 10 {
			ip, err := a.Offer(lease.Client{MAC: mac(n)}, []lease.Range{big}, netip.Addr{})
			if err != nil {
				b.Fatal(err)
			}
			p.Offered(ip)
			n++
		}
		c.t = c.t.Add(10 * time.Millisecond)
		l.sent = l.sent[:0]
		p.round()
	}
}
