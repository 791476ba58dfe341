package dhcp

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
)

// plan is the configuration compiled once for serving: option values
// encoded, pools as lease ranges. Hosts and boot choices are not compiled
// here: they are read per request from the catalog's snapshot, which the
// API may change while pxed runs.
type plan struct {
	declineHold time.Duration
	// cfg is the configuration compiled, read-only; subnets are its
	// DHCP.Subnets, compiled, in the same order.
	cfg     *config.Config
	subnets []*subnetPlan
	// trustedRelays are the relay agents (giaddr) served; nil: any relay.
	trustedRelays map[netip.Addr]bool
	// httpPort is pxed's HTTP boot server's port, 0 when it serves no
	// HTTP: what makes a boot root path a URL for UEFI HTTP Boot clients.
	httpPort int
	// httpsPort is its HTTPS side's, 0 when there is none: the port of
	// the URLs given to machines whose boot section says https.
	httpsPort int
}

type subnetPlan struct {
	network netip.Prefix
	proxy   bool // ProxyDHCP: boot information for PXE clients, no addresses
	// authoritative: the subnet's own setting, else dhcp.authoritative;
	// whether wrong requests are NAKed (RFC 2131 §4.3.2).
	authoritative bool
	bootp         config.BOOTP
	pools         []lease.Range
	leaseTime     time.Duration
	options       []rawOption // encoded in code order
	enc           encoded
}

// encoded holds option values every OFFER and ACK of a subnet carries,
// encoded once: 51 lease time, 58 T1, 59 T2 (RFC 2132 §9.2, §9.11, §9.12;
// T1 and T2 at the defaults of RFC 2131 §4.4.5) and 1 subnet mask (§3.3).
type encoded struct {
	leaseTime, renew, rebind, mask []byte
}

func encodeSubnet(network netip.Prefix, lt time.Duration) encoded {
	secs := func(d time.Duration) []byte {
		return dhcpv4.OptIPAddressLeaseTime(d).Value.ToBytes()
	}
	return encoded{
		leaseTime: secs(lt), renew: secs(lt / 2), rebind: secs(lt * 7 / 8),
		mask: []byte(net.CIDRMask(network.Bits(), 32)),
	}
}

type rawOption struct {
	code  uint8
	value []byte
}

func compile(c *config.Config) (*plan, error) {
	p := &plan{
		cfg:         c,
		declineHold: c.DHCP.DeclineHold.D(),
		httpPort:    c.HTTPPort(),
		httpsPort:   c.HTTPSPort(),
	}
	if len(c.DHCP.TrustedRelays) > 0 {
		p.trustedRelays = make(map[netip.Addr]bool, len(c.DHCP.TrustedRelays))
		for _, a := range c.DHCP.TrustedRelays {
			p.trustedRelays[a.Addr] = true
		}
	}
	for i := range c.DHCP.Subnets {
		s := &c.DHCP.Subnets[i]
		sp := &subnetPlan{network: s.Network.Prefix, proxy: s.Proxy, bootp: s.BOOTP, leaseTime: c.DHCP.LeaseTime.D()}
		if s.LeaseTime != 0 {
			sp.leaseTime = s.LeaseTime.D()
		}
		sp.authoritative = c.DHCP.Authoritative
		if s.Authoritative != nil {
			sp.authoritative = *s.Authoritative
		}
		for _, r := range s.Pools {
			sp.pools = append(sp.pools, lease.Range(r))
		}
		opts, err := subnetOptions(s)
		if err != nil {
			return nil, fmt.Errorf("subnet %s: %w", s.Network, err)
		}
		sp.options = opts
		sp.enc = encodeSubnet(sp.network, sp.leaseTime)
		p.subnets = append(p.subnets, sp)
	}
	return p, nil
}

func subnetOptions(s *config.Subnet) ([]rawOption, error) {
	var out []rawOption
	add := func(code uint8, v []byte) { out = append(out, rawOption{code, v}) }
	ips := func(as []config.Addr) []byte {
		var b []byte
		for _, a := range as {
			v := a.As4()
			b = append(b, v[:]...)
		}
		return b
	}
	if len(s.Routers) > 0 {
		add(3, ips(s.Routers)) // RFC 2132 §3.5
	}
	if len(s.DNSServers) > 0 {
		add(6, ips(s.DNSServers)) // RFC 2132 §3.8
	}
	if s.DomainName != "" {
		add(15, []byte(s.DomainName)) // RFC 2132 §3.17
	}
	if s.Broadcast.IsValid() {
		add(28, ips([]config.Addr{s.Broadcast})) // RFC 2132 §5.3
	}
	for _, o := range s.Options {
		v, err := o.Value()
		if err != nil {
			return nil, err
		}
		add(uint8(o.Code), v)
	}
	return out, nil
}

// subnetFor returns the compiled subnet whose network contains a, or nil.
func (p *plan) subnetFor(a netip.Addr) *subnetPlan {
	if i := p.cfg.SubnetIndex(a); i >= 0 {
		return p.subnets[i]
	}
	return nil
}
