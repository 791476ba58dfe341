package app

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/probe"
)

// TestProbePlan: a subnet of a served interface is probed by ARP on it, a
// relayed one by ICMP (link ""); a subnet with probe: false is not probed,
// pools nor reservations; reservations outside every probed subnet neither.
func TestProbePlan(t *testing.T) {
	cfg, err := config.Parse("pxed.yaml", []byte(`dhcp:
  probe: {rate: 20, window: 4}
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
    - network: 192.168.2.0/24
      pools: [192.168.2.150-192.168.2.199]
    - network: 192.168.3.0/24
      probe: false
      pools: [192.168.3.150-192.168.3.199]
`))
	if err != nil {
		t.Fatal(err)
	}
	mac := func(s string) config.MAC { m, _ := net.ParseMAC(s); return config.MAC{HardwareAddr: m} }
	addr := func(s string) config.Addr { return config.Addr{Addr: netip.MustParseAddr(s)} }
	hosts := []*catalog.Host{
		{Host: config.Host{Name: "station-02", MAC: mac("00:18:e7:42:85:21"), IP: addr("192.168.1.102")}},
		{Host: config.Host{Name: "far-01", MAC: mac("02:bb:00:00:00:01"), IP: addr("192.168.2.101")}},
		{Host: config.Host{Name: "quiet-01", MAC: mac("02:bb:00:00:00:03"), IP: addr("192.168.3.101")}},
		{Host: config.Host{Name: "dynamic", MAC: mac("02:bb:00:00:00:04")}},
	}
	nets := map[string][]netip.Prefix{"br0": {netip.MustParsePrefix("192.168.1.0/24")}, "lo": {netip.MustParsePrefix("127.0.0.0/8")}}
	got := probePlan(cfg, hosts, nets)
	p1, p2 := netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("192.168.2.0/24")
	want := probe.Plan{
		Settings: probe.Settings{Rate: 20, Window: 4, Wait: 500 * time.Millisecond, FreshFor: time.Minute, Hold: 10 * time.Minute, ReservationsEvery: time.Minute},
		Pools: []probe.PoolTarget{
			{Subnet: p1, Range: lease.Range{First: netip.MustParseAddr("192.168.1.150"), Last: netip.MustParseAddr("192.168.1.199")}, Iface: "br0"},
			{Subnet: p2, Range: lease.Range{First: netip.MustParseAddr("192.168.2.150"), Last: netip.MustParseAddr("192.168.2.199")}},
		},
		Reservations: []probe.ReservationTarget{
			{Subnet: p1, IP: netip.MustParseAddr("192.168.1.102"), MAC: hosts[0].MAC.HardwareAddr, Host: "station-02", Iface: "br0"},
			{Subnet: p2, IP: netip.MustParseAddr("192.168.2.101"), MAC: hosts[1].MAC.HardwareAddr, Host: "far-01"},
		},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
}
