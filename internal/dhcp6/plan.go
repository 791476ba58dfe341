package dhcp6

import (
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/rfc1035label"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
)

// plan is the configuration compiled once for serving. Hosts and boot
// choices are read per request from the catalog's snapshot.
type plan struct {
	cfg         *config.Config
	subnets     []*subnetPlan // cfg.DHCP6.Subnets, in the same order
	preference  uint8
	rapidCommit bool
	declineHold time.Duration
	httpPort    int
	httpsPort   int
}

type subnetPlan struct {
	prefix   netip.Prefix
	pools    []lease.Range
	lifetime time.Duration
	dns      dhcpv6.Option // nil when none
	search   dhcpv6.Option // nil when none
}

func compile(c *config.Config) *plan {
	p := &plan{
		cfg: c, preference: c.DHCP6.Preference, rapidCommit: c.DHCP6.RapidCommit,
		declineHold: c.DeclineHold6(), httpPort: c.HTTPPort(), httpsPort: c.HTTPSPort(),
	}
	for i := range c.DHCP6.Subnets {
		s := &c.DHCP6.Subnets[i]
		sp := &subnetPlan{prefix: s.Prefix.Prefix, lifetime: c.Lifetime6(i)}
		for _, r := range s.Pools {
			sp.pools = append(sp.pools, lease.Range(r))
		}
		if len(s.DNSServers) > 0 {
			var ips []net.IP
			for _, a := range s.DNSServers {
				ips = append(ips, a.AsSlice())
			}
			sp.dns = dhcpv6.OptDNS(ips...) // RFC 3646 §3
		}
		if len(s.DomainSearch) > 0 {
			sp.search = dhcpv6.OptDomainSearchList(&rfc1035label.Labels{Labels: s.DomainSearch}) // RFC 3646 §4
		}
		p.subnets = append(p.subnets, sp)
	}
	return p
}

// subnetFor returns the compiled subnet whose prefix holds a, or nil.
func (p *plan) subnetFor(a netip.Addr) *subnetPlan {
	if i := p.cfg.Subnet6Index(a); i >= 0 {
		return p.subnets[i]
	}
	return nil
}
