package config

import (
	"fmt"
	"net/netip"
	"time"

	"go.yaml.in/yaml/v3"
)

// Advertise is one interface's router advertisements (ipv6.advertise):
// what an isolated provisioning link needs from a router so that its hosts
// use DHCPv6 (RFC 4861 §4.2, §4.6.2). pxed sends them in answer to
// solicitations and unsolicited, at start and then every interval.
type Advertise struct {
	Interface string `yaml:"interface"`
	// Managed sets the M flag: hosts get their addresses from DHCPv6.
	Managed bool `yaml:"managed"`
	// Other sets the O flag: hosts get other configuration from DHCPv6.
	Other bool `yaml:"other"`
	// Prefixes are on the link (Prefix Information with L set): hosts
	// reach their addresses directly, not through a router.
	Prefixes []RAPrefix `yaml:"prefixes"`
	// Autonomous sets A on the prefixes: hosts form addresses from them
	// themselves (SLAAC), besides any from DHCPv6. Off by default.
	Autonomous bool `yaml:"autonomous"`
	// DefaultRoute makes pxed a default router (router lifetime 3 ×
	// interval); off: router lifetime 0.
	DefaultRoute bool `yaml:"default_route"`
	// ValidLifetime and PreferredLifetime of the prefixes; 0: 30 days and
	// 7 days (RFC 4861 §6.2.1).
	ValidLifetime     Duration `yaml:"valid_lifetime"`
	PreferredLifetime Duration `yaml:"preferred_lifetime"`
	// Interval is MaxRtrAdvInterval, 4s..30m; 0: one minute.
	Interval Duration `yaml:"interval"`
}

// RAPrefix is an IPv6 prefix such as 2001:db8:1::/64.
type RAPrefix struct{ netip.Prefix }

func (p *RAPrefix) UnmarshalYAML(n *yaml.Node) error {
	v, err := netip.ParsePrefix(n.Value)
	if err != nil || !v.Addr().Is6() || v.Addr().Is4In6() || v.Addr().Zone() != "" {
		return badValue(n, "%q is not an IPv6 prefix like 2001:db8:1::/64", n.Value)
	}
	if v.Masked() != v {
		return badValue(n, "%q has host bits set; the prefix is %s", n.Value, v.Masked())
	}
	p.Prefix = v
	return nil
}

func (p RAPrefix) MarshalYAML() (any, error) { return p.String(), nil }

// Bounds of ipv6.advertise[].interval: MaxRtrAdvInterval (RFC 4861 §6.2.1).
const (
	minRAInterval = 4 * time.Second
	maxRAInterval = 30 * time.Minute
)

// ipv6 checks the router advertisement keys.
func (v *validator) ipv6() {
	c := &v.c.IPv6
	minimal := map[string]int{}
	for i, name := range c.RouterAdvertisement {
		if _, dup := minimal[name]; !dup {
			minimal[name] = i
		}
	}
	seen := map[string]int{}
	for i, a := range c.Advertise {
		path := fmt.Sprintf("ipv6.advertise[%d]", i)
		switch j, dup := seen[a.Interface]; {
		case a.Interface == "":
			v.add(path, "ipv6.advertise entry without an interface")
		case dup:
			v.add(path+".interface", "interface %s is already in ipv6.advertise%s", a.Interface, v.at(fmt.Sprintf("ipv6.advertise[%d]", j)))
		default:
			seen[a.Interface] = i
		}
		if j, both := minimal[a.Interface]; both && a.Interface != "" {
			v.add(path+".interface", "interface %s is also in ipv6.router_advertisement%s: it gets one advertisement or the other, keep one",
				a.Interface, v.at(fmt.Sprintf("ipv6.router_advertisement[%d]", j)))
		}
		v.raPrefixes(path, a)
		if a.Managed {
			v.raManaged(path, a)
		}
		if a.ValidLifetime < 0 || a.PreferredLifetime < 0 {
			v.add(path, "negative prefix lifetime")
		}
		valid, preferred := a.ValidLifetime, a.PreferredLifetime
		if valid == 0 {
			valid = Duration(30 * 24 * time.Hour)
		}
		if preferred > valid {
			// RFC 4861 §4.6.2: hosts ignore such a prefix.
			v.add(path+".preferred_lifetime", "preferred_lifetime %s is longer than valid_lifetime %s", time.Duration(preferred), time.Duration(valid))
		}
		if d := a.Interval.D(); d != 0 && (d < minRAInterval || d > maxRAInterval) {
			v.add(path+".interval", "interval %s is not between 4s and 30m (RFC 4861 §6.2.1 MaxRtrAdvInterval)", d)
		}
	}
}

func (v *validator) raPrefixes(path string, a Advertise) {
	if a.Autonomous && len(a.Prefixes) == 0 {
		v.add(path+".autonomous", "autonomous without prefixes: there is nothing to form addresses from")
	}
	seen := map[netip.Prefix]int{}
	for i, p := range a.Prefixes {
		pp := fmt.Sprintf("%s.prefixes[%d]", path, i)
		switch j, dup := seen[p.Prefix]; {
		case dup:
			v.add(pp, "prefix %s is already advertised%s", p.Prefix, v.at(fmt.Sprintf("%s.prefixes[%d]", path, j)))
			continue
		case p.Addr().IsLinkLocalUnicast() || p.Addr().IsMulticast() || p.Bits() < 8:
			// RFC 4861 §6.2.1: the link-local prefix is not advertised;
			// a multicast or very short one is a typing mistake.
			v.add(pp, "prefix %s is not one to advertise on a link", p.Prefix)
		case a.Autonomous && p.Bits() != 64:
			// RFC 4862 §5.5.3 (d) with the 64-bit interface identifiers of
			// RFC 4291 §2.5.1: hosts ignore A on any other length.
			v.add(pp, "prefix %s is not a /64: hosts form addresses (autonomous) only from /64 prefixes", p.Prefix)
		}
		seen[p.Prefix] = i
	}
}

// raManaged refuses the M flag on a link that pxed's DHCPv6 server does not
// serve. M tells every host on the link to get its address from DHCPv6
// (RFC 4861 §4.2); UEFI firmware then solicits and waits for an answer
// (EDK2 runs a DHCPv6 exchange for each IA, iPXE will not boot without
// one), and pxed, the link's only router, would drop those Solicits for
// want of a subnet. A problem, not a remark: nothing else can answer there
// that pxed's own configuration would show, and either fix is one line.
// The link is known by the advertised prefixes; an entry without any says
// nothing of its link, and only dhcp6 serving nothing at all is refused.
func (v *validator) raManaged(path string, a Advertise) {
	if !v.c.DHCP6.On() {
		v.add(path+".managed", "managed: true tells the hosts on %s to get their addresses from DHCPv6, but dhcp6 has no subnets: they would wait for a DHCPv6 server; add a dhcp6 subnet for the link's prefix, or set managed: false",
			a.Interface)
		return
	}
	for i, p := range a.Prefixes {
		if !p.IsValid() {
			continue
		}
		served := false
		for _, s := range v.c.DHCP6.Subnets {
			if s.Prefix.IsValid() && s.Prefix.Overlaps(p.Prefix) {
				served = true
				break
			}
		}
		if !served {
			v.add(fmt.Sprintf("%s.prefixes[%d]", path, i), "prefix %s is advertised with managed: true, but no dhcp6 subnet serves it: hosts on %s would wait for a DHCPv6 server; add a dhcp6 subnet with this prefix, or set managed: false",
				p.Prefix, a.Interface)
		}
	}
}
