package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidateDHCP6(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "IPv6 only, both pool forms",
			src: `dhcp6:
  preference: 255
  rapid_commit: true
  subnets:
    - prefix: 2001:db8:1::/64
      pools: [{start: "2001:db8:1::1000", end: "2001:db8:1::1fff"}, "2001:db8:1::2000-2001:db8:1::20ff"]
      dns_servers: ["2001:db8:1::21"]
      domain_search: [test.lan]
hosts:
  - name: station-01
    mac: 00:18:e7:42:84:3a
    ip6: 2001:db8:1::101
`,
		},
		{
			name: "a pool larger than the allocator indexes",
			src: `dhcp6:
  subnets:
    - prefix: 2001:db8:1::/64
      pools: ["2001:db8:1::1:0:0-2001:db8:1::2:0:0"]
`,
			want: []string{
				`pxed.yaml:4: pool 2001:db8:1::1:0:0-2001:db8:1::2:0:0 holds more than 16777216 addresses, the most one pool may hold: split it or make it smaller`,
			},
		},
		{
			name: "pools, reservations and prefixes",
			src: `dhcp6:
  subnets:
    - prefix: 2001:db8:1::/64
      pools:
        - {start: "2001:db8:1::1000", end: "2001:db8:1::1fff"}
        - 2001:db8:1::1f00-2001:db8:1::2fff
        - 2001:db8:2::1-2001:db8:2::9
        - 2001:db8:1::-2001:db8:1::9
    - prefix: 2001:db8:1::/48
hosts:
  - name: a
    mac: 00:18:e7:42:84:3a
    ip6: 2001:db8:1::1001
  - name: b
    mac: 00:18:e7:42:84:3b
    ip6: 2001:db8:1::1001
  - name: c
    mac: 00:18:e7:42:84:3c
    ip6: 2001:db8:9::1
`,
			want: []string{
				`pxed.yaml:6: pool 2001:db8:1::1f00-2001:db8:1::2fff overlaps pool 2001:db8:1::1000-2001:db8:1::1fff (line 5)`,
				`pxed.yaml:7: pool 2001:db8:2::1-2001:db8:2::9 is not inside prefix 2001:db8:1::/64`,
				`pxed.yaml:8: pool 2001:db8:1::-2001:db8:1::9 contains the Subnet-Router anycast address 2001:db8:1:: of prefix 2001:db8:1::/64`,
				`pxed.yaml:9: prefix 2001:db8:1::/48 overlaps prefix 2001:db8:1::/64 (line 3)`,
				`pxed.yaml:13: host "a" ip6 2001:db8:1::1001 is inside the dynamic pool 2001:db8:1::1000-2001:db8:1::1fff (line 5)`,
				`pxed.yaml:16: host "b" has the same ip6 2001:db8:1::1001 as host "a" (line 13)`,
				`pxed.yaml:16: host "b" ip6 2001:db8:1::1001 is inside the dynamic pool 2001:db8:1::1000-2001:db8:1::1fff (line 5)`,
				`pxed.yaml:19: host "c" ip6 2001:db8:9::1 is in no dhcp6 subnet`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := validate(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDHCP6BadValues(t *testing.T) {
	t.Parallel()
	_, err := Parse("pxed.yaml", []byte(`dhcp6:
  subnets:
    - prefix: 192.168.1.0/24
      pools: [2001:db8:1::9-2001:db8:1::1]
      dns_servers: [192.168.1.1]
hosts:
  - name: a
    ip6: 10.0.0.1
`))
	want := []string{
		`pxed.yaml:3: "192.168.1.0/24" is not an IPv6 prefix like 2001:db8:1::/64`,
		`pxed.yaml:4: pool 2001:db8:1::9-2001:db8:1::1 ends before it starts`,
		`pxed.yaml:5: "192.168.1.1" is not an IPv6 address`,
		`pxed.yaml:8: "10.0.0.1" is not an IPv6 address`,
	}
	if err == nil {
		t.Fatal("Parse: no error")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("Parse errors (-want +got):\n%s", diff)
	}
}

func TestLifetime6(t *testing.T) {
	t.Parallel()
	c, err := Parse("pxed.yaml", []byte(`dhcp: {lease_time: 2h}
dhcp6:
  subnets:
    - prefix: 2001:db8:1::/64
    - prefix: 2001:db8:2::/64
      lease_time: 10m
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Lifetime6(0); got != 2*time.Hour {
		t.Errorf("Lifetime6(0) = %s, want dhcp.lease_time 2h", got)
	}
	if got := c.Lifetime6(1); got != 10*time.Minute {
		t.Errorf("Lifetime6(1) = %s, want 10m", got)
	}
	if i := c.Subnet6Index(netip.MustParseAddr("2001:db8:2::5")); i != 1 {
		t.Errorf("Subnet6Index = %d, want 1", i)
	}
}
