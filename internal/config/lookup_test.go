package config

import (
	"net/netip"
	"testing"
)

const lookupSrc = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199, 192.168.1.220-192.168.1.220]
    - network: 10.0.0.0/8
hosts:
  - name: station-01
    mac: 00:18:E7:42:84:3A
  - name: station-02
    mac: 00-18-e7-42-85-21
  - name: station-02-again
    mac: 00:18:e7:42:85:21
`

func parseLookup(t *testing.T) *Config {
	t.Helper()
	c, err := Parse("pxed.yaml", []byte(lookupSrc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSubnetFor(t *testing.T) {
	t.Parallel()
	c := parseLookup(t)
	tests := []struct {
		addr string
		want string // network, "" for none
	}{
		{"192.168.1.1", "192.168.1.0/24"},
		{"192.168.1.255", "192.168.1.0/24"},
		{"10.200.3.4", "10.0.0.0/8"},
		{"::ffff:10.0.0.1", "10.0.0.0/8"}, // IPv4-mapped, as some sockets report
		{"192.168.2.1", ""},
		{"2001:db8::1", ""},
	}
	for _, tt := range tests {
		s, ok := c.SubnetFor(netip.MustParseAddr(tt.addr))
		got := ""
		if ok {
			got = s.Network.String()
		}
		if got != tt.want {
			t.Errorf("SubnetFor(%s) = %q, want %q", tt.addr, got, tt.want)
		}
		// SubnetIndex names the same subnet by its place in the list.
		if i := c.SubnetIndex(netip.MustParseAddr(tt.addr)); (i >= 0) != ok || (ok && &c.DHCP.Subnets[i] != s) {
			t.Errorf("SubnetIndex(%s) = %d, not SubnetFor's subnet", tt.addr, i)
		}
	}
	if _, ok := c.SubnetFor(netip.Addr{}); ok {
		t.Error("SubnetFor(zero Addr) found a subnet")
	}
	// The result points into the Config, so callers see one shared Subnet.
	if s, _ := c.SubnetFor(netip.MustParseAddr("10.0.0.1")); s != &c.DHCP.Subnets[1] {
		t.Error("SubnetFor returned a copy")
	}
}

func TestInPool(t *testing.T) {
	t.Parallel()
	c := parseLookup(t)
	s := &c.DHCP.Subnets[0]
	for addr, want := range map[string]bool{
		"192.168.1.149":        false,
		"192.168.1.150":        true,
		"192.168.1.199":        true,
		"192.168.1.200":        false,
		"192.168.1.220":        true,
		"::ffff:192.168.1.170": true,
		"10.0.0.1":             false,
	} {
		if got := s.InPool(netip.MustParseAddr(addr)); got != want {
			t.Errorf("InPool(%s) = %v, want %v", addr, got, want)
		}
	}
	if c.DHCP.Subnets[1].InPool(netip.MustParseAddr("10.0.0.1")) {
		t.Error("a subnet without pools has an address in a pool")
	}
}
