package dhcpdconf

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/pxed/pxed/internal/config"
)

// The conversion of the parsed tree into a config.Config, with dhcpd's
// inheritance rules: top level, subnet, class, group and host, each field
// with the line of the statement it comes from.

type builder struct {
	c    *config.Config
	errs []config.Problem
	// pxeClass is the first class of every PXE client that sets a
	// filename, once seen: dhcpd gives a client that is in several classes
	// the filename of the class declared first (seen with dhcpd 4.4), so a
	// class of one architecture after it never takes effect.
	pxeClass *block
	// globalOpts are the options set at the top level; dhcpd applies them
	// to every subnet, and so does the import.
	globalOpts []stmt
	globalDef  *stmt
	globalMax  *stmt
	// globalBOOTP is the top level's allow, deny or ignore bootp.
	globalBOOTP *stmt
}

func (b *builder) errorf(line int, format string, args ...any) {
	b.errs = append(b.errs, config.Problem{File: b.c.File, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// line records the line of the field at path: that of the statement's
// keyword. An option's fields and a list's elements share it, so only the
// option or the list is recorded; config.Config.Line gives a path without
// a line of its own the line of the path that encloses it.
func (b *builder) line(path string, line int) { b.c.SetLine(path, line) }

// params sorts a block's statements: the single-valued ones by keyword (a
// second one is an error) and the options by name (likewise), in order.
func (b *builder) params(blk *block) (map[string]*stmt, []stmt) {
	one := map[string]*stmt{}
	var opts []stmt
	seenOpt := map[int]int{}
	for i := range blk.stmts {
		s := &blk.stmts[i]
		switch s.key {
		case "option":
			if l, dup := seenOpt[s.opt.Code]; dup {
				b.errorf(s.line, "option %s (code %d) is already set in this %s on line %d", s.name, s.opt.Code, blk.kind, l)
				continue
			}
			seenOpt[s.opt.Code] = s.line
			opts = append(opts, *s)
		case "range", "key", "zone":
		default:
			k := s.key
			if k == "not authoritative" {
				k = "authoritative"
			}
			if prev, dup := one[k]; dup {
				b.errorf(s.line, "%s is already given in this %s on line %d", k, blk.kind, prev.line)
				continue
			}
			one[k] = s
		}
	}
	return one, opts
}

func (b *builder) build(root *block) {
	one, opts := b.params(root)
	b.globalOpts = opts
	b.globalDef, b.globalMax = one["default-lease-time"], one["max-lease-time"]
	b.globalBOOTP = one["bootp"]
	if s := one["authoritative"]; s != nil {
		b.c.DHCP.Authoritative = s.key == "authoritative"
		b.line("dhcp.authoritative", s.line)
	}
	if d, ok := b.leaseTime(b.globalDef, b.globalMax, nil, nil); ok {
		b.c.DHCP.LeaseTime = d
		b.line("dhcp.lease_time", b.leaseLine(b.globalDef, b.globalMax))
	}
	b.boot(&b.c.Boot, "boot", one)
	for _, ch := range root.children {
		if ch.kind == blockSubnet {
			b.subnet(ch)
		}
	}
	for _, ch := range root.children {
		if ch.kind == blockClass {
			b.class(ch)
		}
	}
	b.hosts(root, nil)
	b.dnsUpdates(root)
	// Top-level options have nowhere to go but the subnets; without one,
	// Validate reports the missing subnets.
}

// boot sets next-server and filename of a scope.
func (b *builder) boot(dst *config.Boot, path string, one map[string]*stmt) {
	if s := one["next-server"]; s != nil {
		dst.NextServer = config.Addr{Addr: s.addr}
		b.line(path+".next_server", s.line)
	}
	if s := one["filename"]; s != nil {
		dst.File = s.text
		b.line(path+".file", s.line)
	}
}

// dhcpd's own defaults when a scope sets one of the two lease times only.
const (
	defaultLease    = 43200 * time.Second
	defaultMaxLease = 86400 * time.Second
)

// leaseTime is the lease pxed gives: dhcpd's default-lease-time, capped by
// max-lease-time as dhcpd caps every lease. pxed grants no longer lease on
// request, so the cap is all of max-lease-time that remains. A subnet's own
// statements come first, then the top level's. ok is false when the scope
// sets neither.
func (b *builder) leaseTime(def, max, outerDef, outerMax *stmt) (config.Duration, bool) {
	if def == nil && max == nil {
		return 0, false
	}
	d, m := defaultLease, defaultMaxLease
	for _, s := range []*stmt{outerDef, def} {
		if s != nil {
			d = s.dur
		}
	}
	for _, s := range []*stmt{outerMax, max} {
		if s != nil {
			m = s.dur
		}
	}
	d = min(d, m)
	if d <= 0 {
		b.errorf(b.leaseLine(def, max), "the lease time comes to 0 seconds: pxed needs a positive lease time")
		return 0, false
	}
	return config.Duration(d), true
}

func (b *builder) leaseLine(def, max *stmt) int {
	if def != nil && (max == nil || def.dur <= max.dur) {
		return def.line
	}
	return max.line
}

func (b *builder) subnet(blk *block) {
	i := len(b.c.DHCP.Subnets)
	p := fmt.Sprintf("dhcp.subnets[%d]", i)
	b.c.DHCP.Subnets = append(b.c.DHCP.Subnets, config.Subnet{Network: config.Prefix{Prefix: blk.network}})
	s := &b.c.DHCP.Subnets[i]
	b.line(p, blk.line)
	b.line(p+".network", blk.line)
	one, own := b.params(blk)
	var dynamic, plain *stmt
	for _, st := range blk.stmts {
		if st.key == "range" {
			b.line(fmt.Sprintf("%s.pools[%d]", p, len(s.Pools)), st.line)
			s.Pools = append(s.Pools, st.rng)
			if st.bootp && dynamic == nil {
				dynamic = &st
			} else if !st.bootp && plain == nil {
				plain = &st
			}
		}
	}
	b.bootp(s, p, cmp.Or(one["bootp"], b.globalBOOTP), dynamic, plain)
	// A subnet's own "authoritative;" or "not authoritative;" replaces the
	// top level's there (dhcpd.conf(5), "The authoritative statement").
	if st := one["authoritative"]; st != nil {
		s.Authoritative = ptrTo(st.key == "authoritative")
		b.line(p+".authoritative", st.line)
	}
	if d, ok := b.leaseTime(one["default-lease-time"], one["max-lease-time"], b.globalDef, b.globalMax); ok {
		s.LeaseTime = d
		b.line(p+".lease_time", b.leaseLine(one["default-lease-time"], one["max-lease-time"]))
	}
	if one["next-server"] != nil || one["filename"] != nil {
		s.Boot = &config.Boot{}
		b.boot(s.Boot, p+".boot", one)
	}
	// The subnet's own options replace the top level's of the same code.
	opts := append([]stmt(nil), b.globalOpts...)
	for _, o := range own {
		replaced := false
		for k := range opts {
			if opts[k].opt.Code == o.opt.Code {
				opts[k], replaced = o, true
			}
		}
		if !replaced {
			opts = append(opts, o)
		}
	}
	for _, o := range opts {
		b.subnetOption(s, p, o)
	}
}

// bootp sets the subnet's bootp from its allow, deny or ignore bootp (its
// own, else the top level's: permit) and its ranges. dhcpd gives BOOTP
// clients pool addresses only from "range dynamic-bootp" (dhcpd.conf(5):
// the other ranges deny dynamic bootp clients), and answers the ones with
// a fixed address unless bootp is denied. pxed's bootp is one setting per
// subnet, for all its pools: a subnet with both kinds of range cannot be
// carried over as dhcpd reads it, and is reported.
func (b *builder) bootp(s *config.Subnet, p string, permit, dynamic, plain *stmt) {
	switch {
	case permit != nil && permit.text != "allow":
		s.BOOTP = config.BOOTPOff
		b.line(p+".bootp", permit.line)
	case dynamic != nil && plain != nil:
		b.errorf(plain.line, "subnet %s has ranges with dynamic-bootp (line %d) and without: pxed gives BOOTP clients addresses from every pool of a subnet or from none (bootp: dynamic); write dynamic-bootp on every range or on none",
			s.Network, dynamic.line)
	case dynamic != nil:
		s.BOOTP = config.BOOTPDynamic
		b.line(p+".bootp", dynamic.line)
	}
}

// subnetOption puts an option where pxed's YAML has a field for it, and in
// the options list otherwise. An option declared under another name with one
// of these codes but a value of another type goes to the list too, where
// Validate reports the code as one with a field of its own.
func (b *builder) subnetOption(s *config.Subnet, p string, o stmt) {
	ips, text := o.opt.IP, o.opt.String
	switch c := o.opt.Code; {
	case c == 1 && len(ips) == 1:
		if want := netmaskOf(s.Network.Prefix); ips[0].Addr != want {
			b.errorf(o.line, "option subnet-mask %s differs from the netmask %s of subnet %s: pxed sends the subnet's netmask", ips[0], want, s.Network)
		}
	case c == 3 && len(ips) > 0:
		s.Routers = ips
		b.line(p+".routers", o.line)
	case c == 6 && len(ips) > 0:
		s.DNSServers = ips
		b.line(p+".dns_servers", o.line)
	case c == 15 && text != nil:
		s.DomainName = *text
		b.line(p+".domain_name", o.line)
	case c == 28 && len(ips) == 1:
		s.Broadcast = ips[0]
		b.line(p+".broadcast_address", o.line)
	default:
		b.line(fmt.Sprintf("%s.options[%d]", p, len(s.Options)), o.line)
		s.Options = append(s.Options, o.opt)
	}
}

func netmaskOf(p netip.Prefix) netip.Addr {
	v := ^uint32(0) << (32 - p.Bits())
	if p.Bits() == 0 {
		v = 0
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// class maps a PXE class onto boot: dhcpd gives a client the class's
// next-server and filename over those of its subnet and the top level, and a
// host's over the class's. pxed gives boot information to PXE clients (and
// to clients asking for a boot file) from the host, else the subnet, else
// the top level, so the class's values become the top level's; a subnet or
// top-level value that differs would split PXE and other clients, which
// pxed cannot, and is reported.
func (b *builder) class(blk *block) {
	one, opts := b.params(blk)
	for _, o := range opts {
		b.errorf(o.line, "option %s in class %q: pxed sets no options per class (set them in the subnet or the hosts)", o.name, blk.name)
	}
	m := one["match"]
	if m == nil && slices.Contains(blk.failed, "match") {
		return // its match statement is reported already
	}
	if m == nil {
		b.errorf(blk.line, "class %q has no match statement: pxed reads classes that match if substring(option vendor-class-identifier, 0, 9) = \"PXEClient\"", blk.name)
		return
	}
	if m.arch != nil {
		if g := b.pxeClass; g != nil && one["filename"] != nil {
			b.errorf(one["filename"].line, "class %q comes after class %q (line %d), which matches every PXE client and sets its filename first, so dhcpd never gives this filename: declare class %q first",
				blk.name, g.name, g.line, blk.name)
			return
		}
		if s := one["next-server"]; s != nil {
			b.errorf(s.line, "next-server in class %q: pxed has one next-server for all architectures (set it outside the class)", blk.name)
		}
		s := one["filename"]
		if s == nil {
			b.errorf(blk.line, "class %q for architecture %s sets no filename", blk.name, *m.arch)
			return
		}
		if b.c.Boot.Files == nil {
			b.c.Boot.Files = map[string]string{}
		}
		key := m.arch.String()
		if _, dup := b.c.Boot.Files[key]; dup {
			b.errorf(s.line, "architecture %s already has a boot file from another class (line %d)", key, b.c.Line("boot.files."+key))
			return
		}
		b.c.Boot.Files[key] = s.text
		b.line("boot.files."+key, s.line)
		return
	}
	if s := one["next-server"]; s != nil {
		b.classValue(blk, s, "next-server", "boot.next_server", "next_server", s.addr.String(), func(bt *config.Boot) string {
			if bt.NextServer.IsValid() {
				return bt.NextServer.String()
			}
			return ""
		}, func() { b.c.Boot.NextServer = config.Addr{Addr: s.addr} })
	}
	if s := one["filename"]; s != nil {
		if b.pxeClass == nil {
			b.pxeClass = blk
		}
		b.classValue(blk, s, "filename", "boot.file", "file", s.text, func(bt *config.Boot) string { return bt.File },
			func() { b.c.Boot.File = s.text })
	}
}

// classValue checks a PXE class's next-server or filename against the same
// statement at the top level and in each subnet, then sets it at the top level.
func (b *builder) classValue(blk *block, s *stmt, what, path, field, val string, get func(*config.Boot) string, set func()) {
	show := func(v string) string {
		if what == "filename" {
			return strconv.Quote(v)
		}
		return v
	}
	clash := func(p string, v string) bool {
		if v != "" && v != val {
			b.errorf(s.line, "%s %s in class %q differs from %s %s on line %d: pxed gives PXE clients and other clients the same %s, so keep one",
				what, show(val), blk.name, what, show(v), b.c.Line(p), what)
			return true
		}
		return false
	}
	bad := clash(path, get(&b.c.Boot))
	for i := range b.c.DHCP.Subnets {
		if sb := b.c.DHCP.Subnets[i].Boot; sb != nil {
			bad = clash(fmt.Sprintf("dhcp.subnets[%d].boot.%s", i, field), get(sb)) || bad
		}
	}
	if bad {
		return
	}
	if get(&b.c.Boot) == "" {
		set()
		b.line(path, s.line)
	}
}

// hosts collects the host blocks in file order. groups are the enclosing
// groups, outermost first: their next-server, filename and options apply to
// the hosts inside, the host's own taking precedence. It reports whether
// blk holds any host (a group without one is an error), visiting each
// block once. groups is a stack: an inner group's
// append may reuse its array, as no host keeps it.
func (b *builder) hosts(blk *block, groups []*block) (found bool) {
	for _, ch := range blk.children {
		switch ch.kind {
		case blockSubnet:
			b.hosts(ch, nil) // dhcpd hosts are global: the subnet applies through the address
		case blockGroup:
			has := b.hosts(ch, append(groups, ch))
			if !has && !slices.Contains(ch.failed, "host") {
				b.errorf(ch.line, "group has no hosts: its statements would apply to nothing")
			}
			found = found || has
		case blockHost:
			found = true
			if slices.Contains(ch.failed, "hardware") {
				// A host whose hardware statement has an error is left
				// out: Validate would only report its MAC missing.
				continue
			}
			b.host(ch, groups)
		}
	}
	return found
}

func (b *builder) host(blk *block, groups []*block) {
	i := len(b.c.Hosts)
	p := fmt.Sprintf("hosts[%d]", i)
	b.c.Hosts = append(b.c.Hosts, config.Host{Name: blk.name})
	h := &b.c.Hosts[i]
	b.line(p, blk.line)
	b.line(p+".name", blk.line)
	// Scopes from the outermost group to the host: a later one's statement
	// replaces an earlier one's.
	boot := map[string]*stmt{}
	var opts []stmt
	for _, scope := range append(append([]*block(nil), groups...), blk) {
		one, own := b.params(scope)
		if scope == blk {
			if s := one["hardware"]; s != nil {
				h.MAC = config.MAC{HardwareAddr: s.mac}
				b.line(p+".mac", s.line)
			}
			if s := one["fixed-address"]; s != nil {
				h.IP = config.Addr{Addr: s.addr}
				b.line(p+".ip", s.line)
			}
		}
		for _, k := range []string{"next-server", "filename"} {
			if s := one[k]; s != nil {
				boot[k] = s
			}
		}
		for _, o := range own {
			opts = withoutCode(opts, o.opt.Code)
			opts = append(opts, o)
		}
	}
	if len(boot) > 0 {
		h.Boot = &config.Boot{}
		b.boot(h.Boot, p+".boot", boot)
	}
	for _, o := range opts {
		switch {
		case o.opt.Code == 1:
			b.errorf(o.line, "option subnet-mask for host %q: pxed sends the netmask of the host's subnet", blk.name)
		case o.opt.Code == 12 && o.opt.String != nil:
			// dhcpd sends option host-name as written; pxed sends the
			// host's name, so that name is this one.
			h.Name = *o.opt.String
			b.line(p+".name", o.line)
		default:
			b.line(fmt.Sprintf("%s.options[%d]", p, len(h.Options)), o.line)
			h.Options = append(h.Options, o.opt)
		}
	}
}

func withoutCode(opts []stmt, code int) []stmt {
	out := opts[:0]
	for _, o := range opts {
		if o.opt.Code != code {
			out = append(out, o)
		}
	}
	return out
}
