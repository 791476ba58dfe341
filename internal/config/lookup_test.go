package config

import (
	"net"
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
	}
	if _, ok := c.SubnetFor(netip.Addr{}); ok {
		t.Error("SubnetFor(zero Addr) found a subnet")
	}
	// The result points into the Config, so callers see one shared Subnet.
	if s, _ := c.SubnetFor(netip.MustParseAddr("10.0.0.1")); s != &c.DHCP.Subnets[1] {
		t.Error("SubnetFor returned a copy")
	}
}

func TestHostByMAC(t *testing.T) {
	c := parseLookup(t)
	tests := []struct {
		mac  string
		want string // host name, "" for none
	}{
		{"00:18:e7:42:84:3a", "station-01"}, // written upper case in the file
		{"00:18:E7:42:84:3A", "station-01"},
		{"00:18:e7:42:85:21", "station-02"}, // the first of two wins
		{"00:18:e7:42:7a:3e", ""},
	}
	check := func(c *Config) {
		t.Helper()
		for _, tt := range tests {
			mac, err := net.ParseMAC(tt.mac)
			if err != nil {
				t.Fatal(err)
			}
			h, ok := c.HostByMAC(mac)
			got := ""
			if ok {
				got = h.Name
			}
			if got != tt.want {
				t.Errorf("HostByMAC(%s) = %q, want %q", tt.mac, got, tt.want)
			}
		}
		if _, ok := c.HostByMAC(nil); ok {
			t.Error("HostByMAC(nil) found a host")
		}
	}
	check(c)

	// Built in code, without Parse's index.
	check(&Config{Hosts: c.Hosts})

	// Changed after Parse: the stale index must not give wrong answers.
	c.Hosts = append([]Host{{Name: "new", MAC: MAC{net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x7a, 0x3e}}}}, c.Hosts...)
	tests[3].want = "new"
	check(c)
}

func TestHostByMACReturnsConfigHost(t *testing.T) {
	c := parseLookup(t)
	h, _ := c.HostByMAC(net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a})
	if h != &c.Hosts[0] {
		t.Error("HostByMAC returned a copy")
	}
}

func TestInPool(t *testing.T) {
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
