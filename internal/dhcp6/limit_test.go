package dhcp6

import (
	"net"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/ratelimit"
)

// TestRateLimits: one DUID is held to its bucket (burst 4 here), however
// fast it sends; unknown DUIDs together to the global limit (3/s), while a
// host, known by the MAC in its DUID, passes it.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	s := &Server{Responder: f.r}
	s.limit = ratelimit.NewPerClient(ratelimit.Limits{PerClient: 1, Burst: 4})
	s.global = ratelimit.NewGlobal(3)
	from := netip.MustParseAddrPort("[fe80::1]:546")
	duid := func(i int) *dhcpv6.Message {
		return client{duid: &dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: net.HardwareAddr{2, 0, 0, 0, byte(i >> 8), byte(i)}}}.msg(dhcpv6.MessageTypeSolicit)
	}
	count := func(msgs ...*dhcpv6.Message) map[Drop]int {
		out := map[Drop]int{}
		for _, m := range msgs {
			out[s.admit(m, from, false)]++
		}
		return out
	}
	host := llClient(station01).msg(dhcpv6.MessageTypeSolicit)
	var same []*dhcpv6.Message
	for range 10 {
		same = append(same, host)
	}
	if got := count(same...); got[NotDropped] != 4 || got[DropRateLimited] != 6 {
		t.Errorf("one DUID sending 10 at once: %v, want 4 served and 6 over its limit", got)
	}
	var many []*dhcpv6.Message
	for i := range 10 {
		many = append(many, duid(i))
	}
	if got := count(many...); got[NotDropped] != 3 || got[DropGlobalLimited] != 7 {
		t.Errorf("10 new DUIDs at once: %v, want 3 served and 7 over the global limit", got)
	}
	if got := count(llClient(station01).msg(dhcpv6.MessageTypeRequest)); got[NotDropped] != 0 {
		t.Errorf("station-01 past its own limit was served: %v", got)
	}
	known := client{duid: &dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: 9, LinkLayerAddr: station01}}.msg(dhcpv6.MessageTypeSolicit)
	if got := count(known); got[NotDropped] != 1 {
		t.Errorf("a host (by the MAC in its DUID-LLT) under the global limit: %v, want served", got)
	}
}
