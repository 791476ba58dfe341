package ddns

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Lease is what DNS needs of a DHCPv4 lease: the address, who holds it,
// the name it was given (a host's name from the config, one a discovery
// rule made, or the client's own option 12, a single label or a name
// already qualified), until when, and whether it has ended.
type Lease struct {
	IP       netip.Addr
	MAC      net.HardwareAddr
	ClientID []byte // DHCP option 61, as the client sent it
	Name     string
	Expires  time.Time
	// Ended: released or declined; the name goes.
	Ended bool
}

// Zones is where names go: the forward zone the A and DHCID records are
// in, the reverse zones the PTR records are in, the record TTL, and the
// domain names go under (per address: the subnet's domain_name; empty:
// the forward zone).
type Zones struct {
	Forward string
	Reverse []string
	TTL     uint32
	Domain  func(netip.Addr) string
}

// Record is one lease's names: the A record (Name → IP) guarded by its
// DHCID in Forward, and the PTR (Reverse → Name) in ReverseZone, empty
// when no configured reverse zone holds the address.
type Record struct {
	Name, Forward string
	IP            netip.Addr
	DHCID         string // base64 RDATA of the DHCID record
	Reverse       string // the address's in-addr.arpa name
	ReverseZone   string
	TTL           uint32
	Expires       time.Time
}

// Plan is the pure decision: the records of l under z, or why it has
// none ("" name, a name outside the forward zone, not IPv4).
func Plan(z Zones, l Lease) (Record, error) {
	if !l.IP.Is4() {
		return Record{}, fmt.Errorf("address %s is not IPv4", l.IP)
	}
	name, err := Qualify(l.Name, z.domain(l.IP), z.Forward)
	if err != nil {
		return Record{}, err
	}
	r := Record{Name: name, Forward: dns.CanonicalName(z.Forward), IP: l.IP, TTL: z.TTL, Expires: l.Expires,
		DHCID: DHCID(Identifier(l.MAC, l.ClientID), name)}
	r.Reverse, _ = dns.ReverseAddr(l.IP.String())
	r.ReverseZone = reverseZone(r.Reverse, z.Reverse)
	return r, nil
}

func (z Zones) domain(ip netip.Addr) string {
	if z.Domain != nil {
		if d := z.Domain(ip); d != "" {
			return d
		}
	}
	return z.Forward
}

// Qualify makes a lease's name a fully qualified, lower-case domain name
// in zone: a single label goes under domain; a name with dots is taken as
// already qualified. A name outside zone is refused: pxed updates only the
// zone it was given.
func Qualify(name, domain, zone string) (string, error) {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if name == "" {
		return "", fmt.Errorf("no name")
	}
	if domain == "" {
		domain = zone
	}
	if !strings.Contains(name, ".") {
		name += "." + strings.TrimSuffix(domain, ".")
	}
	fqdn := dns.CanonicalName(name)
	if _, ok := dns.IsDomainName(fqdn); !ok {
		return "", fmt.Errorf("name %q is not a domain name", name)
	}
	z := dns.CanonicalName(zone)
	if !dns.IsSubDomain(z, fqdn) || fqdn == z {
		return "", fmt.Errorf("name %s is outside the forward zone %s", fqdn, z)
	}
	return fqdn, nil
}

// reverseZone is the most specific of zones that holds name, or "".
func reverseZone(name string, zones []string) string {
	best := ""
	for _, z := range zones {
		z = dns.CanonicalName(z)
		if dns.IsSubDomain(z, name) && len(z) > len(best) {
			best = z
		}
	}
	return best
}

// Identifier types of the DHCID record (RFC 4701 §3.3).
const (
	idHardware = 0x0000 // htype and chaddr of a DHCPv4 client
	idClientID = 0x0001 // a DHCPv4 client's option 61
)

// Identifier is the DHCID identifier of a DHCPv4 client (RFC 4701 §3.3):
// the type code, then option 61's data (type 0x0001) when the client sent
// one, else htype 1 (Ethernet) and the hardware address (type 0x0000).
//
// A client identifier that is only type 1 and the client's own Ethernet
// address counts as that address: pxed takes both for one client
// (lease.Client.Key), since a PXE ROM sends no option 61 and the system it
// boots does, and the name must stay the machine's through both.
func Identifier(mac net.HardwareAddr, clientID []byte) []byte {
	if len(clientID) > 0 && !(len(clientID) == len(mac)+1 && clientID[0] == 1 && bytes.Equal(clientID[1:], mac)) {
		return append([]byte{0, idClientID}, clientID...)
	}
	return append([]byte{0, idHardware, 1}, mac...)
}

// DHCID is the base64 RDATA of the DHCID record of the client with the
// given identifier (Identifier) and fqdn (RFC 4701 §3.3, §3.5): the
// identifier type code, the digest type (1, SHA-256) and
// SHA-256(identifier data ‖ fqdn in canonical wire form).
func DHCID(identifier []byte, fqdn string) string {
	wire := make([]byte, 256)
	n, err := dns.PackDomainName(dns.CanonicalName(fqdn), wire, 0, nil, false)
	if err != nil {
		// Plan only passes names IsDomainName accepted.
		n = 0
	}
	h := sha256.New()
	h.Write(identifier[2:])
	h.Write(wire[:n])
	rdata := make([]byte, 3, 3+sha256.Size)
	binary.BigEndian.PutUint16(rdata, binary.BigEndian.Uint16(identifier))
	rdata[2] = 1 // digest type 1: SHA-256 (RFC 4701 §3.5)
	return base64.StdEncoding.EncodeToString(h.Sum(rdata))
}
