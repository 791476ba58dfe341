package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pxed/pxed/internal/lease"
)

// DHCP6 configures the DHCPv6 server (RFC 8415) with the network-boot
// options of RFC 5970. It serves when it has subnets and is not switched
// off, on the same interfaces as DHCPv4.
type DHCP6 struct {
	// Enabled switches DHCPv6 off (false) while its subnets stay in the
	// file: a file server beside the DHCP host shares its YAML (hosts,
	// profiles, subnets) but answers no DHCP. Absent: on.
	Enabled *bool `yaml:"enabled"`
	// LeaseTime is the valid lifetime of the addresses given (default:
	// dhcp.lease_time); the preferred lifetime is the same, T1 half of it
	// and T2 four fifths (RFC 8415 §21.4 recommends 0.5 and 0.8).
	LeaseTime Duration `yaml:"lease_time"`
	// Preference is the server preference option (7) in every Advertise:
	// 255 makes a client take pxed's Advertise at once (RFC 8415 §18.2.1).
	Preference uint8 `yaml:"preference"`
	// RapidCommit answers a Solicit carrying the Rapid Commit option (14)
	// with a Reply that commits the lease at once (RFC 8415 §18.3.1).
	RapidCommit bool `yaml:"rapid_commit"`
	// DeclineHold is how long an address a client declined stays out of
	// the pool (default: dhcp.decline_hold).
	DeclineHold Duration `yaml:"decline_hold"`
	// RatePerClient and RateGlobal are the rate limits, as dhcp's
	// rate_per_mac and rate_global, per client DUID.
	RatePerClient float64   `yaml:"rate_per_client"`
	RateGlobal    float64   `yaml:"rate_global"`
	Subnets       []Subnet6 `yaml:"subnets"`
}

// Subnet6 is one IPv6 link pxed serves, directly or through relays.
type Subnet6 struct {
	Prefix       Prefix6  `yaml:"prefix"`
	Pools        []Range6 `yaml:"pools"`
	DNSServers   []Addr6  `yaml:"dns_servers"`
	DomainSearch []string `yaml:"domain_search"`
	LeaseTime    Duration `yaml:"lease_time"`
	Boot         *Boot    `yaml:"boot"`
}

// On reports whether the DHCPv6 server runs: it is not switched off and
// has something to serve.
func (d *DHCP6) On() bool { return On(d.Enabled) && len(d.Subnets) > 0 }

// Addr6 is an IPv6 address.
type Addr6 struct{ netip.Addr }

func parseAddr6(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

func (a *Addr6) UnmarshalYAML(n *yaml.Node) error {
	v, ok := parseAddr6(n.Value)
	if !ok {
		return badValue(n, "%q is not an IPv6 address", n.Value)
	}
	a.Addr = v
	return nil
}

func (a Addr6) MarshalYAML() (any, error) { return a.String(), nil }

// UnmarshalText reads an IPv6 address (JSON, for the API).
func (a *Addr6) UnmarshalText(b []byte) error {
	v, ok := parseAddr6(string(b))
	if !ok {
		return fmt.Errorf("%q is not an IPv6 address", b)
	}
	a.Addr = v
	return nil
}

// Prefix6 is an IPv6 prefix such as 2001:db8:1::/64.
type Prefix6 struct{ netip.Prefix }

func (p *Prefix6) UnmarshalYAML(n *yaml.Node) error {
	v, err := netip.ParsePrefix(n.Value)
	if err != nil || !v.Addr().Is6() || v.Addr().Is4In6() {
		return badValue(n, "%q is not an IPv6 prefix like 2001:db8:1::/64", n.Value)
	}
	if v.Masked() != v {
		return badValue(n, "%q has host bits set; the prefix is %s", n.Value, v.Masked())
	}
	p.Prefix = v
	return nil
}

func (p Prefix6) MarshalYAML() (any, error) { return p.String(), nil }

// Range6 is an IPv6 pool: an inclusive lease.Range, written either as
// IPv4 pools are, "FIRST-LAST", or as a mapping {start: FIRST, end: LAST}.
type Range6 lease.Range

func (r *Range6) UnmarshalYAML(n *yaml.Node) error {
	var a, b string
	switch n.Kind {
	case yaml.ScalarNode:
		var ok bool
		if a, b, ok = strings.Cut(n.Value, "-"); !ok {
			return badValue(n, "%q is not a range like 2001:db8:1::1000-2001:db8:1::1fff", n.Value)
		}
	case yaml.MappingNode:
		var m struct {
			Start string `yaml:"start"`
			End   string `yaml:"end"`
		}
		if err := n.Decode(&m); err != nil {
			return badValue(n, "a pool mapping has start and end only")
		}
		a, b = m.Start, m.End
	default:
		return badValue(n, "a pool is FIRST-LAST or {start: FIRST, end: LAST}")
	}
	first, ok1 := parseAddr6(a)
	last, ok2 := parseAddr6(b)
	if !ok1 || !ok2 {
		return badValue(n, "pool %q-%q is not two IPv6 addresses", strings.TrimSpace(a), strings.TrimSpace(b))
	}
	if last.Less(first) {
		return badValue(n, "pool %s-%s ends before it starts", first, last)
	}
	r.First, r.Last = first, last
	return nil
}

func (r Range6) MarshalYAML() (any, error) { return r.String(), nil }

func (r Range6) String() string { return r.First.String() + "-" + r.Last.String() }

// Contains reports whether a lies in the range.
func (r Range6) Contains(a netip.Addr) bool { return lease.Range(r).Contains(a) }

// Subnet6Index is the index in DHCP6.Subnets of the subnet whose prefix
// contains addr, or -1. The DHCPv6 server looks it up with a relay's
// link-address, or with the receiving interface's address (RFC 8415 §13.1).
func (c *Config) Subnet6Index(addr netip.Addr) int {
	for i := range c.DHCP6.Subnets {
		if p := c.DHCP6.Subnets[i].Prefix; p.IsValid() && p.Contains(addr.WithZone("")) {
			return i
		}
	}
	return -1
}

// Lifetime6 is the valid lifetime of subnet i's addresses: its own
// lease_time, else dhcp6.lease_time, else dhcp.lease_time.
func (c *Config) Lifetime6(i int) time.Duration {
	for _, d := range []Duration{c.DHCP6.Subnets[i].LeaseTime, c.DHCP6.LeaseTime, c.DHCP.LeaseTime} {
		if d > 0 {
			return d.D()
		}
	}
	return DefaultLeaseTime
}

// DeclineHold6 is how long a declined IPv6 address stays out of the pool:
// dhcp6.decline_hold, else dhcp.decline_hold.
func (c *Config) DeclineHold6() time.Duration {
	for _, d := range []Duration{c.DHCP6.DeclineHold, c.DHCP.DeclineHold} {
		if d > 0 {
			return d.D()
		}
	}
	return DefaultDeclineHold
}

// dhcp6 checks the dhcp6 section.
func (v *validator) dhcp6() {
	d := &v.c.DHCP6
	v.leaseTime("dhcp6.lease_time", d.LeaseTime)
	if d.DeclineHold < 0 {
		v.add("dhcp6.decline_hold", "decline_hold must be positive, not %s", d.DeclineHold.D())
	}
	if !(d.RateGlobal >= 0) || d.RateGlobal > 1e9 {
		v.add("dhcp6.rate_global", "rate_global %v must be 0 (no global limit) or a positive number of requests per second", d.RateGlobal)
	}
	for i := range d.Subnets {
		v.subnet6(i)
	}
}

func (v *validator) subnet6(i int) {
	s := &v.c.DHCP6.Subnets[i]
	p := fmt.Sprintf("dhcp6.subnets[%d]", i)
	pfx := s.Prefix.Prefix
	if !pfx.IsValid() {
		v.add(p, "subnet has no prefix")
	} else {
		for j := range i {
			o := v.c.DHCP6.Subnets[j].Prefix
			switch {
			case !o.IsValid() || !o.Overlaps(pfx):
			case o == s.Prefix:
				v.add(p+".prefix", "prefix %s is given twice%s", pfx, v.at(fmt.Sprintf("dhcp6.subnets[%d].prefix", j)))
			default:
				v.add(p+".prefix", "prefix %s overlaps prefix %s%s", pfx, o, v.at(fmt.Sprintf("dhcp6.subnets[%d].prefix", j)))
			}
		}
	}
	for k, r := range s.Pools {
		pp := fmt.Sprintf("%s.pools[%d]", p, k)
		if err := lease.Range(r).Check(); err != nil {
			v.add(pp, "pool %s %v", r, err)
		}
		if pfx.IsValid() && (!pfx.Contains(r.First) || !pfx.Contains(r.Last)) {
			v.add(pp, "pool %s is not inside prefix %s", r, pfx)
		}
		// RFC 4291 §2.6.1: the all-zero interface identifier is the
		// Subnet-Router anycast address, never a host's.
		if pfx.IsValid() && r.Contains(pfx.Addr()) {
			v.add(pp, "pool %s contains the Subnet-Router anycast address %s of prefix %s", r, pfx.Addr(), pfx)
		}
		for j, o := range s.Pools[:k] {
			if !r.Last.Less(o.First) && !o.Last.Less(r.First) {
				v.add(pp, "pool %s overlaps pool %s%s", r, o, v.at(fmt.Sprintf("%s.pools[%d]", p, j)))
			}
		}
	}
	for k, a := range s.DNSServers {
		if !a.IsGlobalUnicast() && !a.IsLinkLocalUnicast() {
			v.add(fmt.Sprintf("%s.dns_servers[%d]", p, k), "DNS server %s is not a unicast address", a)
		}
	}
	for k, d := range s.DomainSearch {
		if !validHostname(strings.TrimSuffix(d, ".")) {
			v.add(fmt.Sprintf("%s.domain_search[%d]", p, k), "domain_search %q is not a valid domain name", d)
		}
	}
	v.leaseTime(p+".lease_time", s.LeaseTime)
	if s.Boot != nil {
		v.boot(p+".boot", s.Boot)
	}
}

// hostIP6 checks a host's ip6 against the DHCPv6 subnets, as fixedIP does
// its IPv4 address: inside a prefix, outside every pool, not the
// Subnet-Router anycast address, and no other host's.
func (v *validator) hostIP6(i int, seen map[netip.Addr]int) {
	h := &v.c.Hosts[i]
	if !h.IP6.IsValid() {
		return
	}
	p := fmt.Sprintf("hosts[%d].ip6", i)
	label := hostLabel(v.c, i)
	a := h.IP6.Addr
	if j, dup := seen[a]; dup {
		v.add(p, "%s has the same ip6 %s as %s%s", label, a, hostLabel(v.c, j), v.at(fmt.Sprintf("hosts[%d].ip6", j)))
	} else {
		seen[a] = i
	}
	for _, m := range h.MACs {
		if strings.ContainsAny(m, "*?") {
			v.add(p, "%s matches MACs by glob and has a fixed ip6: every machine it matches would get %s", label, a)
			break
		}
	}
	subnets := v.c.DHCP6.Subnets
	si := v.c.Subnet6Index(a)
	if si < 0 {
		v.add(p, "%s ip6 %s is in no dhcp6 subnet", label, a)
		return
	}
	if a == subnets[si].Prefix.Addr() {
		v.add(p, "%s ip6 %s is the Subnet-Router anycast address of %s", label, a, subnets[si].Prefix)
	}
	for k, r := range subnets[si].Pools {
		if r.Contains(a) {
			v.add(p, "%s ip6 %s is inside the dynamic pool %s%s", label, a, r, v.at(fmt.Sprintf("dhcp6.subnets[%d].pools[%d]", si, k)))
		}
	}
}

// hostsIP6 checks every host's ip6.
func (v *validator) hostsIP6() {
	seen := map[netip.Addr]int{}
	for i := range v.c.Hosts {
		v.hostIP6(i, seen)
	}
}
