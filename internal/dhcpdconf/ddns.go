package dhcpdconf

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pxed/pxed/internal/config"
)

// Dynamic DNS: dhcpd's ddns-* statements and its key and zone
// declarations (dhcpd.conf(5), "DYNAMIC DNS UPDATES") onto dns_updates.
// pxed updates one forward zone and its reverse zones on one list of
// servers with one TSIG key; what a dhcpd.conf says beyond that is an
// error naming its line.

// dnsDecl is a key or zone declaration.
type dnsDecl struct {
	name string
	// key
	algorithm, secret string
	// zone
	primary []netip.Addr
	key     string
	keyLine int
}

// Key is a TSIG key a dhcpd.conf declares (key NAME { algorithm A;
// secret "S"; }) and its zones sign with. The Config read never holds the
// secret: dns_updates.key_file names where the key is to be, File,
// and Text is that file's content in BIND's syntax (what pxed reads, and
// what tsig-keygen writes).
type Key struct {
	Name, Algorithm, Secret string
	// Line is that of the key declaration.
	Line int
	// File is the key file the Config names: NAME.key beside the dhcpd.conf.
	File string
}

// Text is the key file's content, as BIND's tsig-keygen writes it.
func (k Key) Text() []byte {
	return fmt.Appendf(nil, "key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", k.Name, k.Algorithm, k.Secret)
}

// KeyFile is where a Config read from the dhcpd.conf file expects the
// TSIG key called name: name.key in the dhcpd.conf's directory.
func KeyFile(file, name string) string {
	return filepath.Join(filepath.Dir(file), name+".key")
}

// DNSKey returns the TSIG key that the dhcpd.conf's DNS updates sign
// with, if they are on and it declares one that pxed can use.
func DNSKey(file string, data []byte) (Key, bool) {
	root, _ := parseTree(file, data)
	b := &builder{c: &config.Config{File: file}}
	k, ok := b.dnsUpdates(root)
	return k, ok && k.Name != ""
}

// ddnsStyle: ddns-update-style interim | standard | none.
func (p *parser) ddnsStyle(b *block, kw token, k string) {
	p.word(b, kw, k, "interim", "standard", "none")
}

// ddnsSwitch: ddns-updates and update-static-leases, on or off. pxed
// updates DNS for every named lease, reserved or not, or for none: a
// switch anywhere but the top level, or "update-static-leases off", has
// no place in dns_updates.
func (p *parser) ddnsSwitch(b *block, kw token, k string) {
	if b.kind != blockGlobal {
		p.errorf(kw.line, "%s in a %s is not supported: pxed updates DNS for every named lease or for none (dns_updates), not per %s", k, b.kind, b.kind)
		p.skipStatement()
		return
	}
	if k == "update-static-leases" {
		if t := p.peek(); t.kind == tokWord && strings.ToLower(t.text) == "off" {
			p.errorf(kw.line, "update-static-leases off is not supported: pxed puts the names of reserved hosts in DNS as it does the others'")
			p.skipStatement()
			return
		}
		p.word(b, kw, k, "on")
		return
	}
	p.word(b, kw, k, "on", "off")
}

// word reads a statement whose value is one of words, kept as its text.
func (p *parser) word(b *block, kw token, k string, words ...string) {
	t := p.peek()
	w := strings.ToLower(t.text)
	if t.kind != tokWord || !slices.Contains(words, w) {
		p.errorf(t.line, "expected %s after %s, got %s", strings.Join(words, " or "), k, t.describe())
		p.skipStatement()
		return
	}
	p.next()
	b.stmts = append(b.stmts, stmt{key: k, line: kw.line, text: w})
	p.endStatement(k + " " + w)
}

// ddnsDomain: ddns-domainname "D"; and ddns-rev-domainname "D";
func (p *parser) ddnsDomain(b *block, kw token, k string) {
	t := p.peek()
	if t.kind != tokString && t.kind != tokWord {
		p.errorf(t.line, "expected a domain name after %s, got %s", k, t.describe())
		p.skipStatement()
		return
	}
	p.next()
	d := strings.TrimSuffix(strings.ToLower(t.text), ".")
	if k == "ddns-rev-domainname" && d != "in-addr.arpa" {
		p.errorf(kw.line, "ddns-rev-domainname %q is not supported: pxed writes PTR records under in-addr.arpa (RFC 1035 §3.5), dhcpd's default", t.text)
		p.skipStatement()
		return
	}
	b.stmts = append(b.stmts, stmt{key: k, line: kw.line, text: d})
	p.endStatement(k + " " + strconv.Quote(t.text))
}

// ddnsTTL: ddns-ttl N; in seconds.
func (p *parser) ddnsTTL(b *block, kw token, k string) {
	t := p.peek()
	n, err := strconv.ParseUint(t.text, 10, 31)
	if t.kind != tokWord || err != nil {
		p.errorf(t.line, "expected a number of seconds (at most 2147483647, RFC 2181 §8) after %s, got %s", k, t.describe())
		p.skipStatement()
		return
	}
	p.next()
	b.stmts = append(b.stmts, stmt{key: k, line: kw.line, text: t.text, ttl: uint32(n)})
	p.endStatement(k + " " + t.text)
}

// dnsName reads the name of a key or zone: a word, or for a key a
// quoted string too (dhcpd takes a zone's name unquoted only).
func (p *parser) dnsName(what string) (string, bool) {
	t := p.peek()
	if t.kind != tokWord && (t.kind != tokString || what == "zone") || t.text == "" {
		p.errorf(t.line, "expected a name after %s, got %s", what, t.describe())
		p.skipStatement()
		return "", false
	}
	p.next()
	return strings.TrimSuffix(t.text, "."), true
}

// keyDecl: key NAME { algorithm A; secret "S"; }
func (p *parser) keyDecl(b *block, kw token, k string) {
	name, ok := p.dnsName("key")
	if !ok || !p.open("key "+name) {
		return
	}
	d := &dnsDecl{name: name}
	p.declBody("key "+name, func(f token, fk string) bool {
		switch fk {
		case "algorithm":
			t := p.peek()
			if t.kind != tokWord {
				return false
			}
			p.next()
			d.algorithm = strings.ToLower(t.text)
		case "secret":
			t := p.peek()
			if t.kind != tokString && t.kind != tokWord {
				return false
			}
			p.next()
			d.secret = t.text
		default:
			p.errorf(f.line, "%s is not supported in a key declaration (algorithm and secret are)", fk)
			p.skipStatement()
			return true
		}
		p.endStatement(fk)
		return true
	})
	b.stmts = append(b.stmts, stmt{key: "key", line: kw.line, dns: d})
}

// zoneDecl: zone NAME { primary ADDR; key NAME; }
func (p *parser) zoneDecl(b *block, kw token, k string) {
	name, ok := p.dnsName("zone")
	if !ok || !p.open("zone "+name) {
		return
	}
	d := &dnsDecl{name: strings.ToLower(name)}
	p.declBody("zone "+name, func(f token, fk string) bool {
		switch fk {
		case "primary", "secondary":
			// dhcpd tries the primary, then the secondaries: pxed tries
			// dns_updates.servers in order.
			a, ok := p.address(fk)
			if !ok {
				return true
			}
			d.primary = append(d.primary, a)
		case "key":
			n, ok := p.dnsName("key")
			if !ok {
				return true
			}
			d.key, d.keyLine = n, f.line
		default:
			p.errorf(f.line, "%s is not supported in a zone declaration (primary, secondary and key are: pxed sends updates over IPv4)", fk)
			p.skipStatement()
			return true
		}
		p.endStatement(fk)
		return true
	})
	b.stmts = append(b.stmts, stmt{key: "zone", line: kw.line, dns: d})
}

// declBody reads the statements of a key or zone declaration up to its
// '}' (and the ';' dhcpd allows after it): each is a word that field
// reads the rest of, or reports false to have the statement called
// malformed.
func (p *parser) declBody(what string, field func(kw token, k string) bool) {
	for {
		t := p.peek()
		switch {
		case t.kind == tokEOF:
			p.errorf(t.line, "expected '}' to close %s, got end of file", what)
			return
		case p.isPunct("}"):
			p.next()
			if p.isPunct(";") {
				p.next()
			}
			return
		case t.kind != tokWord:
			p.errorf(t.line, "expected a statement in %s, got %s", what, t.describe())
			p.next()
			p.skipStatement()
		default:
			p.next()
			k := strings.ToLower(t.text)
			if !field(t, k) {
				p.errorf(t.line, "expected a value after %s in %s, got %s", k, what, p.peek().describe())
				p.skipStatement()
			}
		}
	}
}

// tsigAlgorithms are the key algorithms pxed signs with, by the names
// dhcpd and BIND give them (RFC 8945 §6; hmac-md5 is not among them).
var tsigAlgorithms = []string{"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"}

// dnsUpdates maps the top level's DDNS statements onto dns_updates and
// returns the key its zones sign with. ok is false when updates are off
// (ddns-update-style none or missing, or ddns-updates off).
func (b *builder) dnsUpdates(root *block) (key Key, ok bool) {
	var style, updates, domain, ttl *stmt
	var keys, zones []*stmt
	for i := range root.stmts {
		s := &root.stmts[i]
		switch s.key {
		case "ddns-update-style":
			style = s
		case "ddns-updates":
			updates = s
		case "ddns-domainname":
			domain = s
		case "ddns-ttl":
			ttl = s
		case "key":
			keys = append(keys, s)
		case "zone":
			zones = append(zones, s)
		}
	}
	if style == nil || style.text == "none" || updates != nil && updates.text == "off" {
		// dhcpd ignores its key and zone declarations then, and so does
		// the import.
		return Key{}, false
	}
	// Both styles add an A and a PTR; interim guards the name with a TXT
	// record, standard with a DHCID (RFC 4701, RFC 4703), as pxed does.
	d := &b.c.DNSUpdates
	b.line("dns_updates", style.line)
	var fwd, rev []*stmt
	for _, z := range zones {
		switch name := z.dns.name; {
		case name == "in-addr.arpa" || strings.HasSuffix(name, ".in-addr.arpa"):
			rev = append(rev, z)
		case name == "ip6.arpa" || strings.HasSuffix(name, ".ip6.arpa"):
			b.errorf(z.line, "zone %s: pxed puts no IPv6 names in DNS (dns_updates covers DHCPv4 leases)", name)
		default:
			fwd = append(fwd, z)
		}
	}
	switch {
	case domain != nil:
		i := slices.IndexFunc(fwd, func(z *stmt) bool { return z.dns.name == domain.text })
		if i < 0 {
			b.errorf(domain.line, "ddns-domainname %q names no zone declared here: pxed updates the zone its names go in (dns_updates.forward_zone); declare zone %s. { primary ADDR; key NAME; }", domain.text, domain.text)
			return Key{}, false
		}
		for _, z := range fwd {
			if z != fwd[i] {
				b.errorf(z.line, "zone %s: pxed updates one forward zone, that of ddns-domainname (%s)", z.dns.name, domain.text)
			}
		}
		d.ForwardZone = domain.text
		b.line("dns_updates.forward_zone", domain.line)
	case len(fwd) == 0:
		b.errorf(style.line, "ddns-update-style %s without a forward zone: pxed sends updates to the servers a zone declaration names, declare zone NAME. { primary ADDR; key NAME; }", style.text)
		return Key{}, false
	default:
		for _, z := range fwd[1:] {
			b.errorf(z.line, "zone %s: pxed updates one forward zone (dns_updates.forward_zone), %s already; give ddns-domainname to choose", z.dns.name, fwd[0].dns.name)
		}
		d.ForwardZone = fwd[0].dns.name
		b.line("dns_updates.forward_zone", fwd[0].line)
	}
	for _, z := range rev {
		d.ReverseZones = append(d.ReverseZones, z.dns.name)
		if len(d.ReverseZones) == 1 {
			b.line("dns_updates.reverse_zones", z.line)
		}
	}
	if ttl != nil {
		d.TTL = ttl.ttl
		b.line("dns_updates.ttl", ttl.line)
	}
	// One server list and one key for every zone.
	used := append(slices.Clone(fwd[:1]), rev...)
	if domain != nil {
		used[0] = fwd[slices.IndexFunc(fwd, func(z *stmt) bool { return z.dns.name == domain.text })]
	}
	first := used[0].dns
	for _, z := range used {
		switch {
		case len(z.dns.primary) == 0:
			b.errorf(z.line, "zone %s has no primary: pxed sends updates to the address given (it does not look the primary up)", z.dns.name)
		case !slices.Equal(z.dns.primary, first.primary):
			b.errorf(z.line, "zone %s has other servers than zone %s: pxed sends every update to one list of servers (dns_updates.servers)", z.dns.name, first.name)
		}
		switch {
		case z.dns.key == "":
			b.errorf(z.line, "zone %s has no key: pxed signs every update with a TSIG key (RFC 8945)", z.dns.name)
		case z.dns.key != first.key:
			b.errorf(z.dns.keyLine, "zone %s is signed with key %s, zone %s with %s: pxed signs with one key (dns_updates.key_file)", z.dns.name, z.dns.key, first.name, first.key)
		}
	}
	for _, a := range first.primary {
		d.Servers = append(d.Servers, a.String())
	}
	b.line("dns_updates.servers", used[0].line)
	if first.key == "" {
		return Key{}, true
	}
	i := slices.IndexFunc(keys, func(k *stmt) bool { return strings.EqualFold(k.dns.name, first.key) })
	if i < 0 {
		b.errorf(first.keyLine, "key %s is not declared: declare key %s { algorithm hmac-sha256; secret \"...\"; } before the zone", first.key, first.key)
		return Key{}, true
	}
	k := keys[i]
	alg := strings.TrimSuffix(k.dns.algorithm, ".sig-alg.reg.int")
	switch {
	case k.dns.secret == "":
		b.errorf(k.line, "key %s has no secret", k.dns.name)
		return Key{}, true
	case !slices.Contains(tsigAlgorithms, alg):
		b.errorf(k.line, "key %s: algorithm %q is not one pxed signs with (%s; RFC 8945 §6 retires hmac-md5): make a new key with tsig-keygen -a hmac-sha256", k.dns.name, k.dns.algorithm, strings.Join(tsigAlgorithms, ", "))
		return Key{}, true
	}
	key = Key{Name: k.dns.name, Algorithm: alg, Secret: k.dns.secret, Line: k.line, File: KeyFile(b.c.File, k.dns.name)}
	d.KeyFile = key.File
	b.line("dns_updates.key_file", k.line)
	return key, true
}
