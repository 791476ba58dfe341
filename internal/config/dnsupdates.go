package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/pxed/pxed/internal/ddns"
)

// DNSUpdates puts the machines pxed leases IPv4 addresses to in DNS
// (RFC 2136 updates signed with TSIG; internal/ddns sends them).
type DNSUpdates struct {
	// Servers take the updates, the first that answers: HOST:PORT, or an
	// address alone for port 53. Usually the zones' primary.
	Servers []string `yaml:"servers"`
	// KeyFile holds the TSIG key, as BIND's tsig-keygen writes it.
	KeyFile string `yaml:"key_file"`
	// ForwardZone holds the A and DHCID records; names go under a
	// subnet's domain_name when it is in this zone, else under the zone.
	ForwardZone string `yaml:"forward_zone"`
	// ReverseZones hold the PTR records; an address in none gets none.
	ReverseZones []string `yaml:"reverse_zones"`
	// TTL of the records, in seconds.
	TTL uint32 `yaml:"ttl"`
}

// DefaultDNSTTL is the records' TTL when ttl is not set: short enough that
// a machine that moves is found at its new address within minutes.
const DefaultDNSTTL = 300

// On reports whether pxed updates DNS.
func (d *DNSUpdates) On() bool { return len(d.Servers) > 0 || d.ForwardZone != "" || d.KeyFile != "" }

// ServerAddrs are the servers as HOST:PORT, port 53 where none is given.
func (d *DNSUpdates) ServerAddrs() []string {
	out := make([]string, 0, len(d.Servers))
	for _, s := range d.Servers {
		if a, err := netip.ParseAddr(s); err == nil {
			s = net.JoinHostPort(a.String(), "53")
		}
		out = append(out, s)
	}
	return out
}

func (c *Config) dnsUpdateDefaults() {
	if c.DNSUpdates.On() && c.DNSUpdates.TTL == 0 {
		c.DNSUpdates.TTL = DefaultDNSTTL
	}
}

// dnsUpdates checks dns_updates: servers, a key file that holds a key
// pxed can sign with, a forward zone, reverse zones under in-addr.arpa.
func (v *validator) dnsUpdates() {
	d := &v.c.DNSUpdates
	if !d.On() {
		return
	}
	if len(d.Servers) == 0 {
		v.add("dns_updates", "dns_updates has no servers: give the DNS server that takes the updates, e.g. [192.168.1.21:53]")
	}
	for i, s := range d.ServerAddrs() {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" || port == "" {
			v.add(fmt.Sprintf("dns_updates.servers[%d]", i), "dns server %q: give HOST:PORT or an address", d.Servers[i])
		}
	}
	if d.KeyFile == "" {
		v.add("dns_updates", "dns_updates has no key_file: updates are signed with a TSIG key (tsig-keygen writes one)")
	} else if _, err := ddns.ReadKey(d.KeyFile); err != nil {
		v.add("dns_updates.key_file", "%v", err)
	}
	if d.ForwardZone == "" {
		v.add("dns_updates", "dns_updates has no forward_zone: give the zone the names go in, e.g. test.lan")
	} else if !domainName(d.ForwardZone) {
		v.add("dns_updates.forward_zone", "forward_zone %q is not a domain name", d.ForwardZone)
	}
	for i, z := range d.ReverseZones {
		if !domainName(z) || !dns.IsSubDomain("in-addr.arpa.", dns.CanonicalName(z)) {
			v.add(fmt.Sprintf("dns_updates.reverse_zones[%d]", i), "reverse zone %q: give one under in-addr.arpa, e.g. 1.168.192.in-addr.arpa", z)
		}
	}
	if d.TTL > 1<<31-1 {
		v.add("dns_updates.ttl", "ttl %d is more than DNS allows (2147483647, RFC 2181 §8)", d.TTL)
	}
}

func domainName(s string) bool {
	_, ok := dns.IsDomainName(s)
	return ok && strings.Trim(s, ".") != ""
}
