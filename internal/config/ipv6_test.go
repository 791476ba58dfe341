package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateAdvertise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "clean",
			src: `ipv6:
  router_advertisement: [br1]
  advertise:
    - interface: br0
      managed: true
      other: true
      prefixes: [2001:db8:1::/64, 2001:db8:2::/48]
      default_route: true
      valid_lifetime: 2h
      preferred_lifetime: 1h
      interval: 30s
    - interface: br2
      prefixes: [2001:db8:3::/64]
      autonomous: true
dhcp6:
  subnets:
    - prefix: 2001:db8:1::/64
    - prefix: 2001:db8:2::/64
`,
		},
		{
			// RFC 4861 §4.2: M sends the hosts to DHCPv6, which must
			// serve the link.
			name: "managed without dhcp6",
			src: `ipv6:
  advertise:
    - interface: br0
      managed: true
      prefixes: [2001:db8:1::/64]
`,
			want: []string{
				"pxed.yaml:4: managed: true tells the hosts on br0 to get their addresses from DHCPv6, but dhcp6 has no subnets: they would wait for a DHCPv6 server; add a dhcp6 subnet for the link's prefix, or set managed: false",
			},
		},
		{
			name: "managed on a prefix no dhcp6 subnet serves",
			src: `ipv6:
  advertise:
    - interface: br0
      managed: true
      prefixes: [2001:db8:1::/64, 2001:db8:2::/64]
    - interface: br1
      managed: true
    - interface: br2
      prefixes: [2001:db8:3::/64]
dhcp6:
  subnets:
    - prefix: 2001:db8:1::/64
`,
			want: []string{
				"pxed.yaml:5: prefix 2001:db8:2::/64 is advertised with managed: true, but no dhcp6 subnet serves it: hosts on br0 would wait for a DHCPv6 server; add a dhcp6 subnet with this prefix, or set managed: false",
			},
		},
		{
			name: "problems",
			src: `ipv6:
  router_advertisement: [br0]
  advertise:
    - interface: br0
      prefixes: [fe80::/64, 2001:db8:1::/64, 2001:db8:1::/64]
    - interface: br1
      autonomous: true
      prefixes: [2001:db8:2::/48]
      valid_lifetime: 1h
      preferred_lifetime: 2h
      interval: 2s
    - interface: br1
      autonomous: true
    - other: true
`,
			want: []string{
				"pxed.yaml:4: interface br0 is also in ipv6.router_advertisement (line 2): it gets one advertisement or the other, keep one",
				"pxed.yaml:5: prefix fe80::/64 is not one to advertise on a link",
				"pxed.yaml:5: prefix 2001:db8:1::/64 is already advertised (line 5)",
				"pxed.yaml:8: prefix 2001:db8:2::/48 is not a /64: hosts form addresses (autonomous) only from /64 prefixes",
				"pxed.yaml:10: preferred_lifetime 2h0m0s is longer than valid_lifetime 1h0m0s",
				"pxed.yaml:11: interval 2s is not between 4s and 30m (RFC 4861 §6.2.1 MaxRtrAdvInterval)",
				"pxed.yaml:12: interface br1 is already in ipv6.advertise (line 6)",
				"pxed.yaml:13: autonomous without prefixes: there is nothing to form addresses from",
				"pxed.yaml:14: ipv6.advertise entry without an interface",
			},
		},
	} {
		got, _ := validate(t, tc.src+"dhcp: {enabled: false}\n")
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestParseAdvertisePrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ prefix, want string }{
		{"192.168.1.0/24", `pxed.yaml:1: "192.168.1.0/24" is not an IPv6 prefix like 2001:db8:1::/64`},
		{"2001:db8:1::5/64", `pxed.yaml:1: "2001:db8:1::5/64" has host bits set; the prefix is 2001:db8:1::/64`},
		{"2001:db8:1::", `pxed.yaml:1: "2001:db8:1::" is not an IPv6 prefix like 2001:db8:1::/64`},
	} {
		_, err := Parse("pxed.yaml", []byte("ipv6: {advertise: [{interface: br0, prefixes: ["+tc.prefix+"]}]}\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %s", tc.prefix, err, tc.want)
		}
	}
}
