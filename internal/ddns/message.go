package ddns

import (
	"net"

	"github.com/miekg/dns"
)

// The updates of RFC 4703 §5, each one RFC 2136 message; the Updater
// sends them in the order the sections give and decides from the rcode
// what comes next (step).

// addNew adds the name where it is not in use (RFC 4703 §5.3.1: the
// prerequisite "name is not in use", RFC 2136 §2.4.5), with its DHCID in
// the same update so that the name is never without its owner's mark.
func addNew(r Record) *dns.Msg {
	m := update(r.Forward)
	m.NameNotUsed([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: r.Name}}})
	m.Insert([]dns.RR{r.a(), r.dhcid()})
	return m
}

// addOwned replaces the name's addresses where the DHCID there is this
// client's (RFC 4703 §5.3.2: the prerequisite "RRset exists (value
// dependent)", RFC 2136 §2.4.2, on the DHCID; then delete the A RRset and
// add ours). A name whose DHCID is another's fails with NXRRSET: a
// conflict (§5.3.3), and nothing changes.
func addOwned(r Record) *dns.Msg {
	m := update(r.Forward)
	m.Used([]dns.RR{r.dhcid()})
	m.RemoveRRset([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Name, Rrtype: dns.TypeA}}})
	m.Insert([]dns.RR{r.a()})
	return m
}

// setPTR replaces the address's PTR RRset with ours: RFC 4703 §5.4, the
// DHCP server that gave the address owns its reverse name.
func setPTR(r Record) *dns.Msg {
	m := update(r.ReverseZone)
	m.RemoveRRset([]dns.RR{&dns.PTR{Hdr: dns.RR_Header{Name: r.Reverse, Rrtype: dns.TypePTR}}})
	m.Insert([]dns.RR{r.ptr()})
	return m
}

// removeA deletes our address from the name where the DHCID there is
// this client's (RFC 4703 §5.5: "RRset exists (value dependent)" on the
// DHCID, then delete the one A RR, RFC 2136 §2.5.4).
func removeA(r Record) *dns.Msg {
	m := update(r.Forward)
	m.Used([]dns.RR{r.dhcid()})
	m.Remove([]dns.RR{r.a()})
	return m
}

// removeDHCID deletes the DHCID where it is this client's and no address
// is left at the name (RFC 4703 §5.5: "RRset does not exist" for A and
// AAAA, RFC 2136 §2.4.3), so that a name still in use keeps its owner.
func removeDHCID(r Record) *dns.Msg {
	m := update(r.Forward)
	m.Used([]dns.RR{r.dhcid()})
	m.RRsetNotUsed([]dns.RR{
		&dns.ANY{Hdr: dns.RR_Header{Name: r.Name, Rrtype: dns.TypeA}},
		&dns.ANY{Hdr: dns.RR_Header{Name: r.Name, Rrtype: dns.TypeAAAA}},
	})
	m.RemoveRRset([]dns.RR{&dns.DHCID{Hdr: dns.RR_Header{Name: r.Name, Rrtype: dns.TypeDHCID}}})
	return m
}

// removePTR deletes the address's PTR to our name, and no other.
func removePTR(r Record) *dns.Msg {
	m := update(r.ReverseZone)
	m.Remove([]dns.RR{r.ptr()})
	return m
}

func update(zone string) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone)
	return m
}

// Each call makes a fresh RR: miekg/dns's prerequisite and removal
// helpers rewrite the header they are given.

func (r Record) a() *dns.A {
	return &dns.A{Hdr: dns.RR_Header{Name: r.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: r.TTL},
		A: net.IP(r.IP.AsSlice())}
}

func (r Record) dhcid() *dns.DHCID {
	return &dns.DHCID{Hdr: dns.RR_Header{Name: r.Name, Rrtype: dns.TypeDHCID, Class: dns.ClassINET, Ttl: r.TTL},
		Digest: r.DHCID}
}

func (r Record) ptr() *dns.PTR {
	return &dns.PTR{Hdr: dns.RR_Header{Name: r.Reverse, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: r.TTL},
		Ptr: r.Name}
}
