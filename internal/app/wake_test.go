package app

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/config"
)

func TestWakeTargets(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(`dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
    - network: 10.20.0.0/22
      broadcast_address: 10.20.3.254
      pools: [10.20.0.100-10.20.0.200]
`))
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	tests := []struct {
		name           string
		hostIP, lastIP netip.Addr
		want           []netip.Addr
	}{
		{"host address", a("192.168.1.102"), netip.Addr{}, []netip.Addr{a("192.168.1.255")}},
		{"subnet's broadcast_address", a("10.20.1.7"), a("192.168.1.160"), []netip.Addr{a("10.20.3.254")}},
		{"last lease", netip.Addr{}, a("192.168.1.160"), []netip.Addr{a("192.168.1.255")}},
		{"host address on no subnet, last lease", a("172.16.0.1"), a("192.168.1.160"), []netip.Addr{a("192.168.1.255")}},
		{"nothing known: every subnet", netip.Addr{}, netip.Addr{}, []netip.Addr{a("192.168.1.255"), a("10.20.3.254")}},
	}
	for _, tt := range tests {
		got := wakeTargets(cfg, tt.hostIP, tt.lastIP)
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
