package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/efiimage"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/pxe"
)

// Problem is one thing wrong with a configuration, at the line of the
// offending field. It prints as FILE:LINE: message, the form editors and
// compilers use, so an operator can jump to it.
type Problem struct {
	File string
	Line int // 0 when the field is not in the file (a default, or set by a flag)
	Msg  string
}

func (p Problem) Error() string {
	switch {
	case p.File != "" && p.Line > 0:
		return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Msg
	case p.File != "":
		return p.File + ": " + p.Msg
	case p.Line > 0:
		return "line " + strconv.Itoa(p.Line) + ": " + p.Msg
	}
	return p.Msg
}

// JoinProblems returns the problems as one error, one per line
// (errors.Join), or nil when there are none.
func JoinProblems(ps []Problem) error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// MaxProblems is how many problems a report lists before it only counts
// the rest: one mistake repeated through a file should not bury the others.
const MaxProblems = 100

// Capped returns ps when there are at most max of them, else the first max
// and one more saying how many are left out ("and 12 more problems").
func Capped(ps []Problem, max int) []Problem {
	if len(ps) <= max {
		return ps
	}
	out := append(ps[:max:max], Problem{Msg: fmt.Sprintf("and %d more problems", len(ps)-max)})
	return out
}

// Validate reports every problem in the configuration at once, in the order
// of the lines they are on (problems with no line come first). It reads the
// TFTP root to check that boot files exist, so run it after flags have
// overridden fields. An empty result means the configuration can be served.
//
// What is deliberately not a problem: no interfaces (the --interface flag
// may add them after Parse); a host without an IP (it gets a pool address);
// boot files while TFTP is off (they live on the next_server; Notes says
// when none is named: split.go).
func (c *Config) Validate() []Problem {
	v := &validator{c: c}
	v.log()
	v.store()
	v.user()
	v.dhcp()
	v.dhcp6()
	v.boot("boot", &c.Boot)
	v.hosts()
	v.hostsIP6()
	v.discovery()
	v.profiles() // before tftp(), which checks the files they name
	v.proxies()
	v.bootp()
	v.ipv6()
	v.tftp()
	v.listenAddress("http.address", c.HTTP.Address, ":8080 or 192.168.1.21:8080")
	v.tls()
	v.ipxeEFI()
	v.syslog()
	v.hooks()
	v.dnsUpdates()
	if On(c.Web.Enabled) {
		v.listenAddress("web.address", c.Web.Address, "127.0.0.1:9069")
	}
	slices.SortStableFunc(v.out, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return v.out
}

type validator struct {
	c   *Config
	out []Problem
	// bootFiles are the TFTP paths named anywhere, checked once the root is known good.
	bootFiles []bootFile
	// kernels are the profiles' kernels, checked against the machines that
	// boot them; loaderArches, the architectures (Machine) the network-wide boot
	// section gives a loader.
	kernels      []kernelFile
	loaderArches map[pxe.Arch]bool
}

// bootFile is a file of the root that a field names: path is the field,
// name the file, what how messages call it ("" for `boot file "name"`);
// image when it goes into an http_image.
type bootFile struct {
	path, name, what string
	image            bool
}

func (f bootFile) String() string {
	if f.what != "" {
		return f.what
	}
	return "boot file " + strconv.Quote(f.name)
}

// add records a problem at the line of the field at path.
func (v *validator) add(path, format string, args ...any) {
	v.out = append(v.out, Problem{File: v.c.File, Line: v.c.Line(path), Msg: fmt.Sprintf(format, args...)})
}

// at gives " (line N)" to point from one problem to the field it clashes with.
func (v *validator) at(path string) string {
	if l := v.c.Line(path); l > 0 {
		return " (line " + strconv.Itoa(l) + ")"
	}
	return ""
}

func (v *validator) log() {
	switch strings.ToLower(v.c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		v.add("log.level", "log level %q is not one of debug, info, warn, error", v.c.Log.Level)
	}
	switch strings.ToLower(v.c.Log.Format) {
	case "text", "json":
	default:
		v.add("log.format", "log format %q is not text or json", v.c.Log.Format)
	}
}

// store checks the PostgreSQL connection string without connecting: a
// syntax error is a configuration problem, an unreachable server is not
// (it may come up later, and pxed serve says so when it starts).
func (v *validator) store() {
	pg := v.c.Store.Postgres
	if _, given := v.c.lines["store.postgres"]; given && pg.DSN == "" {
		v.add("store.postgres", "store.postgres needs a dsn (e.g. dsn: \"host=/run/postgresql dbname=pxed\")")
		return
	}
	if pg.DSN == "" {
		return
	}
	if _, err := pgconn.ParseConfig(pg.DSN); err != nil {
		v.add("store.postgres.dsn", "store.postgres.dsn: %v", err)
	}
}

// user checks that the user pxed is to switch to exists here (on the
// machine that runs the check).
func (v *validator) user() {
	if v.c.User == "" {
		return
	}
	if _, err := user.Lookup(v.c.User); err != nil {
		v.add("user", "user %q: %v", v.c.User, err)
	}
}

// maxLeaseTime is the longest lease option 51 can carry: 0xffffffff seconds
// means "infinite" (RFC 2131 §3.3), which pxed does not hand out.
const maxLeaseTime = time.Duration(math.MaxUint32-1) * time.Second

func (v *validator) leaseTime(path string, d Duration) {
	switch {
	case d < 0:
		v.add(path, "lease_time %s is negative", d.D())
	case d.D() > maxLeaseTime:
		v.add(path, "lease_time %s is longer than DHCP can carry (%s)", d.D(), maxLeaseTime)
	}
}

func (v *validator) positive(path, name string, d Duration) {
	if d <= 0 {
		v.add(path, "%s must be positive, not %s", name, d.D())
	}
}

func (v *validator) dhcp() {
	d := &v.c.DHCP
	v.leaseTime("dhcp.lease_time", d.LeaseTime)
	v.positive("dhcp.decline_hold", "decline_hold", d.DeclineHold)
	v.positive("dhcp.offer_hold", "offer_hold", d.OfferHold)
	v.probe()
	if d.RateGlobal < 0 || math.IsNaN(d.RateGlobal) || math.IsInf(d.RateGlobal, 0) {
		v.add("dhcp.rate_global", "rate_global %v must be 0 (no global limit) or a positive number of requests per second", d.RateGlobal)
	}
	if d.Workers < 0 || d.Workers > 65536 {
		v.add("dhcp.workers", "workers %d must be between 1 and 65536 (0: the default, 1024)", d.Workers)
	}
	relays := map[netip.Addr]int{}
	for i, a := range d.TrustedRelays {
		p := fmt.Sprintf("dhcp.trusted_relays[%d]", i)
		// A relay agent writes its own unicast address in giaddr (RFC 2131 §4.1).
		if !a.IsGlobalUnicast() {
			v.add(p, "trusted relay %s is not a unicast address a relay agent could put in giaddr", a)
		} else if j, dup := relays[a.Addr]; dup {
			v.add(p, "trusted relay %s is listed twice%s", a, v.at(fmt.Sprintf("dhcp.trusted_relays[%d]", j)))
		} else {
			relays[a.Addr] = i
		}
	}
	// An IPv6-only network has dhcp6 subnets and no DHCPv4 ones.
	if On(d.Enabled) && len(d.Subnets) == 0 && !v.c.DHCP6.On() {
		v.add("dhcp.subnets", "dhcp is enabled but has no subnets: add dhcp.subnets, or set dhcp.enabled: false")
	}
	for i := range d.Subnets {
		v.subnet(i)
	}
}

func (v *validator) subnet(i int) {
	s := &v.c.DHCP.Subnets[i]
	p := fmt.Sprintf("dhcp.subnets[%d]", i)
	if !s.Network.IsValid() {
		v.add(p, "subnet has no network")
	} else {
		for j := range i {
			o := v.c.DHCP.Subnets[j].Network
			switch {
			case !o.IsValid() || !o.Overlaps(s.Network.Prefix):
			case o == s.Network:
				v.add(p+".network", "subnet %s is given twice%s", s.Network, v.at(fmt.Sprintf("dhcp.subnets[%d].network", j)))
			default:
				v.add(p+".network", "subnet %s overlaps subnet %s%s", s.Network, o, v.at(fmt.Sprintf("dhcp.subnets[%d].network", j)))
			}
		}
	}
	pfx := s.Network.Prefix
	for k, r := range s.Pools {
		pp := fmt.Sprintf("%s.pools[%d]", p, k)
		if err := lease.Range(r).Check(); err != nil {
			v.add(pp, "pool %s %v", r, err)
		}
		if pfx.IsValid() {
			if !pfx.Contains(r.First) || !pfx.Contains(r.Last) {
				v.add(pp, "pool %s is not inside subnet %s", r, pfx)
			} else if na, ba, ok := edges(pfx); ok {
				if r.Contains(na) {
					v.add(pp, "pool %s contains the network address %s of subnet %s", r, na, pfx)
				}
				if r.Contains(ba) {
					v.add(pp, "pool %s contains the broadcast address %s of subnet %s", r, ba, pfx)
				}
			}
		}
		for j, o := range s.Pools[:k] {
			if !r.Last.Less(o.First) && !o.Last.Less(r.First) {
				v.add(pp, "pool %s overlaps pool %s%s", r, o, v.at(fmt.Sprintf("%s.pools[%d]", p, j)))
			}
		}
	}
	if pfx.IsValid() {
		// RFC 2132 §3.5: option 3 lists "routers on the client's subnet".
		for k, r := range s.Routers {
			if !pfx.Contains(r.Addr) {
				v.add(fmt.Sprintf("%s.routers[%d]", p, k), "router %s is not in subnet %s", r, pfx)
			}
		}
		if s.Broadcast.IsValid() && !pfx.Contains(s.Broadcast.Addr) {
			v.add(p+".broadcast_address", "broadcast_address %s is not in subnet %s", s.Broadcast, pfx)
		}
	}
	if s.DomainName != "" && !validHostname(strings.TrimSuffix(s.DomainName, ".")) {
		v.add(p+".domain_name", "domain_name %q is not a valid domain name", s.DomainName)
	}
	v.leaseTime(p+".lease_time", s.LeaseTime)
	v.options(p+".options", s.Options, true)
	if s.Boot != nil {
		v.boot(p+".boot", s.Boot)
	}
}

// edges returns the network and broadcast addresses of an IPv4 network, which
// no client may be given. A /31 or /32 has neither (RFC 3021).
func edges(p netip.Prefix) (network, broadcast netip.Addr, ok bool) {
	if !p.Addr().Is4() || p.Bits() > 30 {
		return netip.Addr{}, netip.Addr{}, false
	}
	a := p.Masked().Addr().As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	b := n | (1<<(32-p.Bits()) - 1)
	return netip.AddrFrom4(a), netip.AddrFrom4([4]byte{byte(b >> 24), byte(b >> 16), byte(b >> 8), byte(b)}), true
}

// hostKeys are what two hosts may not share, each with the index of the
// host that has it first.
type hostKeys struct {
	names, macs, uuids map[string]int
	ips                map[netip.Addr]int
}

func (v *validator) hosts() {
	seen := hostKeys{names: map[string]int{}, macs: map[string]int{}, uuids: map[string]int{}, ips: map[netip.Addr]int{}}
	for i := range v.c.Hosts {
		v.host(i, &seen)
	}
}

// host checks the host at index i, field by field in the order they are
// documented, against seen for duplicates.
func (v *validator) host(i int, seen *hostKeys) {
	h := &v.c.Hosts[i]
	p := fmt.Sprintf("hosts[%d]", i)
	label := hostLabel(v.c, i)
	v.hostName(i, seen)
	for j, pat := range h.MACs {
		if why := CheckMACPattern(pat); why != "" {
			v.add(fmt.Sprintf("%s.macs[%d]", p, j), "%s: %s", label, why)
		}
	}
	v.hostUUID(i, seen)
	// One fixed address for every machine a glob matches would be a
	// conflict the moment two of them boot.
	if h.IP.IsValid() && slices.ContainsFunc(h.MACs, func(m string) bool { return strings.ContainsAny(m, "*?") }) {
		v.add(p+".ip", "%s matches MACs by glob and has a fixed ip: every machine it matches would get %s", label, h.IP)
	}
	v.hostNetboot(i)
	v.hostMAC(i, seen)
	if h.IP.IsValid() {
		if j, dup := seen.ips[h.IP.Addr]; dup {
			v.add(p+".ip", "%s has the same IP %s as %s%s", label, h.IP, hostLabel(v.c, j), v.at(fmt.Sprintf("hosts[%d].ip", j)))
		} else {
			seen.ips[h.IP.Addr] = i
		}
		v.fixedIP(p+".ip", label, h.IP.Addr)
	}
	v.options(p+".options", h.Options, false)
	if h.Boot != nil {
		v.boot(p+".boot", h.Boot)
	}
}

// hostName checks that the host has a valid name of its own (names are
// compared without case, as DNS compares them).
func (v *validator) hostName(i int, seen *hostKeys) {
	h := &v.c.Hosts[i]
	p := fmt.Sprintf("hosts[%d].name", i)
	switch {
	case h.Name == "":
		v.add(p, "host has no name")
	case !validHostname(h.Name):
		v.add(p, "host name %q is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 long, separated by dots)", h.Name)
	default:
		k := strings.ToLower(h.Name)
		if j, dup := seen.names[k]; dup {
			v.add(p, "host name %q is already used%s", h.Name, v.at(fmt.Sprintf("hosts[%d].name", j)))
		} else {
			seen.names[k] = i
		}
	}
}

// hostUUID checks the form of the host's UUID and that no other host has it.
func (v *validator) hostUUID(i int, seen *hostKeys) {
	h := &v.c.Hosts[i]
	p := fmt.Sprintf("hosts[%d].uuid", i)
	switch {
	case h.UUID == "":
	case !ValidUUID(h.UUID):
		v.add(p, "%s uuid %q is not a UUID like 8a1b7c2e-0000-4000-8000-00000000002a", hostLabel(v.c, i), h.UUID)
	default:
		k := strings.ToLower(h.UUID)
		if j, dup := seen.uuids[k]; dup {
			v.add(p, "%s has the same uuid as %s%s", hostLabel(v.c, i), hostLabel(v.c, j), v.at(fmt.Sprintf("hosts[%d].uuid", j)))
		} else {
			seen.uuids[k] = i
		}
	}
}

// hostNetboot checks the host's netboot policy; once needs the install
// callback to be reachable.
func (v *validator) hostNetboot(i int) {
	h := &v.c.Hosts[i]
	p := fmt.Sprintf("hosts[%d].netboot", i)
	switch h.Netboot {
	case "", NetbootAlways, NetbootNever:
	case NetbootOnce:
		if why := v.callbackUnreachable(); why != "" {
			v.add(p, "%s netboot once needs the install callback, but %s", hostLabel(v.c, i), why)
		}
	default:
		v.add(p, "%s netboot %q: use always, once or never", hostLabel(v.c, i), h.Netboot)
	}
}

// hostMAC checks that the host can be recognised (mac, macs or uuid) and
// that no other host has its MAC.
func (v *validator) hostMAC(i int, seen *hostKeys) {
	h := &v.c.Hosts[i]
	p := fmt.Sprintf("hosts[%d]", i)
	if len(h.MAC.HardwareAddr) == 0 {
		if len(h.MACs) == 0 && h.UUID == "" {
			v.add(p, "%s has no mac, macs or uuid to be recognised by", hostLabel(v.c, i))
		}
	} else if j, dup := seen.macs[string(h.MAC.HardwareAddr)]; dup {
		v.add(p+".mac", "%s has the same MAC %s as %s%s", hostLabel(v.c, i), h.MAC, hostLabel(v.c, j), v.at(fmt.Sprintf("hosts[%d].mac", j)))
	} else {
		seen.macs[string(h.MAC.HardwareAddr)] = i
	}
}

// hostLabel names a host in messages: host "station-01", or unnamed host.
func hostLabel(c *Config, i int) string {
	if n := c.Hosts[i].Name; n != "" {
		return "host " + strconv.Quote(n)
	}
	return "unnamed host"
}

// fixedIP checks a host's address against the subnets: it must be in one,
// must not be its network or broadcast address, and must be outside every
// pool, or the allocator could hand it to another client.
func (v *validator) fixedIP(path, label string, a netip.Addr) {
	subnets := v.c.DHCP.Subnets
	if len(subnets) == 0 {
		return // "no subnets" is reported once, not per host
	}
	s, ok := v.c.SubnetFor(a)
	if !ok {
		v.add(path, "%s IP %s is in no configured subnet", label, a)
		return
	}
	if na, ba, ok := edges(s.Network.Prefix); ok {
		if a == na {
			v.add(path, "%s IP %s is the network address of subnet %s", label, a, s.Network)
		}
		if a == ba {
			v.add(path, "%s IP %s is the broadcast address of subnet %s", label, a, s.Network)
		}
	}
	for i := range subnets {
		for k, r := range subnets[i].Pools {
			if r.Contains(a) {
				v.add(path, "%s IP %s is inside the dynamic pool %s%s", label, a, r, v.at(fmt.Sprintf("dhcp.subnets[%d].pools[%d]", i, k)))
			}
		}
	}
}

// reservedOption says why an options list may not set code, if it may not.
// pxed writes these options itself, from the protocol state or from a
// dedicated field, and a second source would contradict it. Hosts have no
// routers/dns_servers/domain_name/broadcast_address fields, so a host may
// set 3, 6, 15 and 28 to override its subnet's.
func reservedOption(code int, subnet bool) (string, bool) {
	switch code {
	case 1:
		return "(subnet mask) is derived from the subnet's network", true
	case 50:
		return "(requested IP address) is sent by clients only", true
	case 51:
		return "(lease time) is set by pxed itself: use lease_time", true
	case 52:
		return "(option overload) is set by pxed itself", true
	case 53:
		return "(DHCP message type) is set by pxed itself", true
	case 54:
		return "(server identifier) is set by pxed itself", true
	case 55:
		return "(parameter request list) is sent by clients only", true
	case 58:
		return "(renewal time) is set by pxed itself from lease_time", true
	case 59:
		return "(rebinding time) is set by pxed itself from lease_time", true
	case 60:
		return "(vendor class identifier) is set by pxed itself for PXE clients", true
	case 61:
		return "(client identifier) is sent by clients only", true
	case 66:
		return "(TFTP server name) is set by pxed itself: use boot.next_server", true
	case 67:
		return "(boot file name) is set by pxed itself: use boot.file or boot.files", true
	case 82:
		return "(relay agent information) is added by relays only", true
	}
	if !subnet {
		return "", false
	}
	switch code {
	case 3:
		return "(routers) has its own field: use routers", true
	case 6:
		return "(domain name servers) has its own field: use dns_servers", true
	case 15:
		return "(domain name) has its own field: use domain_name", true
	case 28:
		return "(broadcast address) has its own field: use broadcast_address", true
	}
	return "", false
}

func (v *validator) options(path string, opts []Option, subnet bool) {
	seen := map[int]int{}
	for k, o := range opts {
		p := fmt.Sprintf("%s[%d]", path, k)
		if j, dup := seen[o.Code]; dup {
			v.add(p+".code", "option %d is given twice%s", o.Code, v.at(fmt.Sprintf("%s[%d].code", path, j)))
		} else {
			seen[o.Code] = k
		}
		// RFC 2132 §3.1, §3.2: 0 is Pad and 255 is End; neither carries a value.
		if o.Code < 1 || o.Code > 254 {
			v.add(p+".code", "option code %d is outside 1..254", o.Code)
		} else if why, ok := reservedOption(o.Code, subnet); ok {
			v.add(p+".code", "option %d %s", o.Code, why)
		}
		if _, err := o.Value(); err != nil {
			field := p
			if k := o.kinds(); len(k) == 1 {
				field = p + "." + k[0]
			}
			v.add(field, "%v", err)
		}
	}
}

func (v *validator) boot(path string, b *Boot) {
	v.httpImage(path, b)
	if b.HTTPS != nil && *b.HTTPS && v.c.HTTPSPort() == 0 {
		v.add(path+".https", "https is on, but pxed serves no HTTPS: set http.tls.address (with http.enabled and tftp on)")
	}
	if b.File != "" {
		v.bootFiles = append(v.bootFiles, bootFile{path: path + ".file", name: b.File})
	}
	keys := make([]string, 0, len(b.Files))
	for k := range b.Files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	seen := map[pxe.Arch]string{}
	for _, k := range keys {
		p := path + ".files." + k
		arch, err := pxe.ParseArch(k)
		if err != nil {
			v.add(p, "%v", err)
		} else if prev, dup := seen[arch]; dup {
			v.add(p, "architecture %s is given twice, as %q and %q", arch, prev, k)
		} else {
			seen[arch] = k
			if path == "boot" {
				if v.loaderArches == nil {
					v.loaderArches = map[pxe.Arch]bool{}
				}
				v.loaderArches[arch.Machine()] = true
			}
		}
		switch f := b.Files[k]; {
		case f == "":
			v.add(p, "boot file for %s is empty", k)
		case err == nil && arch.HTTP():
			v.httpBootFile(p, arch, f, b.HTTPImage != nil && *b.HTTPImage)
		case err == nil && isUEFI(arch):
			v.bootFiles = append(v.bootFiles, bootFile{path: p, name: f, what: fmt.Sprintf("UEFI loader %q for %s", f, arch)})
		default:
			v.bootFiles = append(v.bootFiles, bootFile{path: p, name: f})
		}
	}
}

// isUEFI reports whether a is a UEFI PXE architecture, whose boot file is
// an EFI loader fetched over TFTP.
func isUEFI(a pxe.Arch) bool {
	return !a.HTTP() && strings.HasPrefix(a.String(), "efi-")
}

// httpBootFile checks the boot file of a UEFI HTTP Boot architecture. A
// path of the root is given as a URL of pxed's HTTP server, which must run;
// a URL of pxed's own HTTP server must name a file of the root, as the
// firmware's GET would otherwise fail after the DHCP exchange succeeded.
func (v *validator) httpBootFile(path string, arch pxe.Arch, f string, image bool) {
	if !pxe.IsURL(f) {
		if v.c.HTTPPort() == 0 {
			v.add(path, "HTTP Boot file %q for %s is a path of the boot root, but pxed serves no HTTP (http.enabled, with tftp on): give an http:// URL or turn http on", f, arch)
			return
		}
		v.bootFiles = append(v.bootFiles, bootFile{path, f, fmt.Sprintf("HTTP Boot file %q for %s", f, arch), image})
		return
	}
	u, err := url.Parse(f)
	if err != nil || u.Host == "" {
		v.add(path, "HTTP Boot URL %q for %s is not a URL with a host", f, arch)
		return
	}
	if v.ownHTTP(u) {
		v.bootFiles = append(v.bootFiles, bootFile{path: path, name: u.Path, what: fmt.Sprintf("HTTP Boot URL %q for %s names %s, which", f, arch, u.Path)})
	}
}

// ownHTTP reports whether u points at pxed's own HTTP server: scheme http
// and its port (or https and its HTTPS port), and as host the host of
// http.address or a next_server.
func (v *validator) ownHTTP(u *url.URL) bool {
	port, def := v.c.HTTPPort(), "80"
	if strings.EqualFold(u.Scheme, "https") {
		port, def = v.c.HTTPSPort(), "443"
	} else if !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	up := u.Port()
	if up == "" {
		up = def
	}
	if port == 0 || up != strconv.Itoa(port) {
		return false
	}
	host := u.Hostname()
	if h, _, err := net.SplitHostPort(v.c.HTTP.Address); err == nil && h != "" && strings.EqualFold(h, host) {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	if a.IsLoopback() {
		return true
	}
	boots := []*Boot{&v.c.Boot}
	for i := range v.c.DHCP.Subnets {
		boots = append(boots, v.c.DHCP.Subnets[i].Boot)
	}
	for i := range v.c.Hosts {
		boots = append(boots, v.c.Hosts[i].Boot)
	}
	for _, b := range boots {
		if b != nil && b.NextServer.IsValid() && b.NextServer.Addr == a.Unmap() {
			return true
		}
	}
	return false
}

func (v *validator) tftp() {
	t := &v.c.TFTP
	// RFC 2348 §2: blksize is 8..65464 octets. RFC 7440 §2: windowsize is 1..65535 blocks.
	if t.MaxBlockSize < 8 || t.MaxBlockSize > 65464 {
		v.add("tftp.max_block_size", "tftp.max_block_size %d is outside 8..65464 (RFC 2348)", t.MaxBlockSize)
	}
	if t.MaxWindowSize < 1 || t.MaxWindowSize > 65535 {
		v.add("tftp.max_window_size", "tftp.max_window_size %d is outside 1..65535 (RFC 7440)", t.MaxWindowSize)
	}
	if t.MaxTransfers < 1 {
		v.add("tftp.max_transfers", "tftp.max_transfers must be at least 1, not %d", t.MaxTransfers)
	}
	if t.Retries < 1 {
		v.add("tftp.retries", "tftp.retries must be at least 1, not %d", t.Retries)
	}
	v.positive("tftp.timeout", "tftp.timeout", t.Timeout)
	v.listenAddress("tftp.address", t.Address, ":69 or 192.168.1.21:69")
	if !On(t.Enabled) {
		return
	}
	st, err := os.Stat(t.Root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.add("tftp.root", "tftp root %s does not exist", t.Root)
		return
	case err != nil:
		v.add("tftp.root", "tftp root: %v", err)
		return
	case !st.IsDir():
		v.add("tftp.root", "tftp root %s is not a directory", t.Root)
		return
	}
	root, err := os.OpenRoot(t.Root)
	if err != nil {
		v.add("tftp.root", "tftp root: %v", err)
		return
	}
	defer root.Close()
	for _, f := range v.bootFiles {
		v.bootFile(root, f)
	}
	for _, k := range v.kernels {
		v.kernelArch(root, k, v.loaderArches)
	}
	v.loaders(v.readLoaders(root))
}

// bootFile checks that a boot file named in the config is a regular file
// under the TFTP root. Clients send names with or without a leading slash and
// the TFTP server serves both from the root; os.Root refuses names (and
// symlinks) that leave it, as the server does.
func (v *validator) bootFile(root *os.Root, f bootFile) {
	if strings.Contains(f.name, "://") {
		return // a URL (iPXE, HTTP Boot) is not served by TFTP
	}
	name := path.Clean(strings.TrimLeft(f.name, "/"))
	if !fs.ValidPath(name) {
		v.add(f.path, "%s is outside the TFTP root", f)
		return
	}
	st, err := root.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.add(f.path, "%s is not in the TFTP root %s", f, v.c.TFTP.Root)
	case err != nil:
		v.add(f.path, "%s: %v", f, err)
	case st.IsDir():
		v.add(f.path, "%s is a directory", f)
	case f.image:
		v.imageLoader(root, f)
	}
}

// validHostname reports whether s is a host or domain name of RFC 1123 §2.1
// labels: letters, digits and hyphens, not starting or ending with a hyphen,
// 1..63 long, at most 253 in all.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// listenAddress checks a HOST:PORT a server listens on.
func (v *validator) listenAddress(path, addr, example string) {
	if _, port, err := net.SplitHostPort(addr); err != nil {
		v.add(path, "%s %q is not HOST:PORT (like %s)", path, addr, example)
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		v.add(path, "%s %q has no valid port (1..65535)", path, addr)
	}
}

// tls checks the HTTPS side of the HTTP boot server: a listen address of
// its own, and the operator's certificate and key given together or not
// at all (pxed then makes its own).
func (v *validator) tls() {
	t := v.c.HTTP.TLS
	if t.Address != "" {
		v.listenAddress("http.tls.address", t.Address, ":8443")
		if t.Address == v.c.HTTP.Address {
			v.add("http.tls.address", "http.tls.address %q is http.address too: HTTPS needs a port of its own", t.Address)
		}
	}
	if (t.Cert == "") != (t.Key == "") {
		v.add("http.tls", "http.tls.cert and http.tls.key go together: give both, or neither for a certificate pxed makes")
	}
}

// ipxeEFI checks http.ipxe_efi when the operator names a file: an
// absolute path to an x64 UEFI image, with what the chained iPXE needs to
// find its script. The default (DefaultIPXEEFI when it exists) is not
// judged: a host without the ipxe package simply chains nothing.
func (v *validator) ipxeEFI() {
	f := v.c.HTTP.IPXEEFI
	if f == "" || f == IPXEEFIOff {
		return
	}
	const path = "http.ipxe_efi"
	if v.c.HTTPPort() == 0 || !v.c.HTTP.IPXEScript {
		v.add(path, "ipxe_efi %q is given so that iPXE fetches its script over HTTP, but http.enabled (with tftp on) or http.ipxe_script is off: turn them on, or set ipxe_efi: off", f)
		return
	}
	if !filepath.IsAbs(f) {
		v.add(path, "ipxe_efi %q must be an absolute path on pxed's host (such as %s), or off", f, DefaultIPXEEFI)
		return
	}
	r, err := os.Open(f)
	if err != nil {
		v.add(path, "ipxe_efi: %v (Debian's ipxe package installs %s)", err, DefaultIPXEEFI)
		return
	}
	defer r.Close()
	img, err := efiimage.Inspect(r)
	switch {
	case err != nil:
		v.add(path, "ipxe_efi %q is no UEFI image: %v", f, err)
	case img.Machine != efiimage.MachineAMD64:
		v.add(path, "ipxe_efi %q is a UEFI image for %s, but x64 UEFI machines boot it: give iPXE's x64 build (snponly.efi)", f, img.Machine)
	}
}

// LocalProfile is the built-in profile that boots the local disk.
const LocalProfile = "local"

// DiscoveryProfile is the built-in profile of the discovery boot
// (discovery.boot): the discovery kernel with pxed's agent as its
// initramfs.
const DiscoveryProfile = "discovery"

// ProfileByName returns the profile called name; "local" is built in.
func (c *Config) ProfileByName(name string) (*Profile, bool) {
	if name == LocalProfile {
		return &Profile{Name: LocalProfile}, true
	}
	for i := range c.Profiles {
		if c.Profiles[i].Name == name {
			return &c.Profiles[i], true
		}
	}
	return nil, false
}

func (v *validator) profiles() {
	seen := map[string]bool{}
	for i, p := range v.c.Profiles {
		path := fmt.Sprintf("profiles[%d]", i)
		switch {
		case p.Name == "":
			v.add(path+".name", "profile has no name")
		case p.Name == LocalProfile:
			v.add(path+".name", "profile name %q is built in (it boots the local disk)", p.Name)
		case p.Name == DiscoveryProfile:
			v.add(path+".name", "profile name %q is built in (the discovery boot)", p.Name)
		case !validHostname(p.Name):
			v.add(path+".name", "profile name %q: use letters, digits and hyphens", p.Name)
		case seen[p.Name]:
			v.add(path+".name", "profile %q is defined twice", p.Name)
		}
		seen[p.Name] = true
		if p.Kernel == "" && p.SAN == nil {
			v.add(path, "profile %q has no kernel", p.Name)
		}
		v.san(path, &p)
		if err := cmdline.Check(p.Cmdline); err != nil {
			v.add(path+".cmdline", "profile %q cmdline: %v", p.Name, err)
		}
		v.console(path+".console", p.Name, "", p.Console, p.Cmdline)
		v.rootPath(path+".root_path", &p)
		v.rootImage(path, &p)
		covered := v.profileArches(path, &p)
		if p.Kernel != "" && On(v.c.TFTP.Enabled) {
			v.kernels = append(v.kernels, kernelFile{path: path + ".kernel", name: p.Kernel, profile: p.Name, own: true, covered: covered})
		}
		if p.Loader != nil {
			if p.Loader.Profile != "" {
				v.add(path+".loader.profile", "profile %q: a loader names boot files, not a profile", p.Name)
			}
			v.boot(path+".loader", p.Loader)
		}
		files := append([]string{p.Kernel}, p.Initrd...)
		for j, f := range files {
			fp := path + ".kernel"
			if j > 0 {
				fp = fmt.Sprintf("%s.initrd[%d]", path, j-1)
			}
			if f != "" && On(v.c.TFTP.Enabled) {
				v.bootFiles = append(v.bootFiles, bootFile{path: fp, name: f})
			}
		}
	}
	check := func(path, name string) {
		if name == "" {
			return
		}
		if _, ok := v.c.ProfileByName(name); !ok {
			v.add(path, "profile %q is not defined (profiles: or %q)", name, LocalProfile)
		}
	}
	check("boot.profile", v.c.Boot.Profile)
	for i := range v.c.DHCP.Subnets {
		if b := v.c.DHCP.Subnets[i].Boot; b != nil {
			check(fmt.Sprintf("dhcp.subnets[%d].boot.profile", i), b.Profile)
		}
	}
	for i := range v.c.Hosts {
		if b := v.c.Hosts[i].Boot; b != nil {
			check(fmt.Sprintf("hosts[%d].boot.profile", i), b.Profile)
		}
	}
}

// profileArches checks a profile's per-architecture entries: each key an
// architecture, one key per machine (an HTTP Boot code is served by its PXE
// twin's entry, so naming it is refused with the key to use), each entry
// with a kernel, its files in the root, its command line a template.
func (v *validator) profileArches(path string, p *Profile) (covered []pxe.Arch) {
	seen := map[pxe.Arch]string{}
	for _, k := range slices.Sorted(maps.Keys(p.Arch)) {
		e, kp := p.Arch[k], path+".arch."+k
		a, err := pxe.ParseArch(k)
		switch {
		case err != nil:
			v.add(kp, "profile %q: %v", p.Name, err)
		case a.Machine() != a:
			v.add(kp, "profile %q: write %s, not %s: the %s entry serves %s machines too", p.Name, a.Machine(), k, a.Machine(), k)
		case seen[a] != "":
			v.add(kp, "profile %q: architecture %s is given twice, as %q and %q", p.Name, a, seen[a], k)
		default:
			seen[a] = k
			covered = append(covered, a)
		}
		if e.Kernel == "" {
			v.add(kp, "profile %q has no kernel for %s", p.Name, k)
		} else if err == nil && On(v.c.TFTP.Enabled) {
			v.kernels = append(v.kernels, kernelFile{path: kp + ".kernel", name: e.Kernel, profile: p.Name, arch: a.Machine()})
		}
		cl := p.Cmdline
		if e.Cmdline != "" {
			cl = e.Cmdline
			if err := cmdline.Check(e.Cmdline); err != nil {
				v.add(kp+".cmdline", "profile %q cmdline for %s: %v", p.Name, k, err)
			}
		}
		v.console(kp+".console", p.Name, k, e.Console, cl)
		if !On(v.c.TFTP.Enabled) {
			continue
		}
		for j, f := range append([]string{e.Kernel}, e.Initrd...) {
			fp := kp + ".kernel"
			if j > 0 {
				fp = fmt.Sprintf("%s.initrd[%d]", kp, j-1)
			}
			if f != "" {
				v.bootFiles = append(v.bootFiles, bootFile{path: fp, name: f})
			}
		}
	}
	return covered
}

// console checks a profile's console (for architecture arch, "" for the
// profile's own): one device, which the command line cmdline must name as
// {{.Console}}, or the setting does nothing.
func (v *validator) console(path, profile, arch, console, cmdline string) {
	if console == "" {
		return
	}
	where := ""
	if arch != "" {
		where = " for " + arch
	}
	switch {
	case strings.HasPrefix(console, "console="):
		v.add(path, "profile %q console%s %q: write the device alone (%s); the command line says console={{.Console}}", profile, where, console, strings.TrimPrefix(console, "console="))
	case strings.ContainsAny(console, " \t\n\"'"):
		v.add(path, "profile %q console%s %q: one device such as ttyAMA0 or ttyS0,115200, without spaces or quotes", profile, where, console)
	case !strings.Contains(cmdline, ".Console"):
		v.add(path, "profile %q sets a console%s, but its cmdline never names {{.Console}}: the setting would do nothing", profile, where)
	}
}

// proxies checks the subnets served as ProxyDHCP: pxed gives no address
// there, so a pool (or a fixed address) would be a second DHCP server in
// disguise.
func (v *validator) proxies() {
	for i, s := range v.c.DHCP.Subnets {
		if !s.Proxy {
			continue
		}
		if s.Authoritative != nil && *s.Authoritative {
			v.add(fmt.Sprintf("dhcp.subnets[%d].authoritative", i), "subnet %s is in proxy mode: pxed gives no addresses there and so NAKs none (leave authoritative out)", s.Network)
		}
		if len(s.Pools) > 0 {
			v.add(fmt.Sprintf("dhcp.subnets[%d].pools", i), "subnet %s is in proxy mode and has a pool: in proxy mode another DHCP server gives the addresses", s.Network)
		}
		for j, h := range v.c.Hosts {
			if h.IP.IsValid() && s.Network.IsValid() && s.Network.Contains(h.IP.Addr) {
				v.add(fmt.Sprintf("hosts[%d].ip", j), "host %s has a fixed address in %s, which is in proxy mode: pxed gives no addresses there", h.Name, s.Network)
			}
		}
	}
}

// CheckMACPattern says what is wrong with an entry of hosts[].macs, or "":
// a MAC address, or a glob of hex digits, ":" or "-", "*" and "?".
func CheckMACPattern(p string) string {
	if !strings.ContainsAny(p, "*?") {
		if m, err := net.ParseMAC(p); err != nil || len(m) != 6 {
			return fmt.Sprintf("%q is not a MAC address like 00:18:e7:42:84:3a, nor a glob like 00:18:e7:*", p)
		}
		return ""
	}
	for _, c := range strings.ToLower(p) {
		if !strings.ContainsRune("0123456789abcdef:-*?", c) {
			return fmt.Sprintf("MAC glob %q may hold only hex digits, ':', '-', '*' and '?'", p)
		}
	}
	return ""
}

// ValidUUID reports whether s is a UUID written 8-4-4-4-12 in hex, the
// form PXE clients' option 97 is shown in (pxe.UUIDString).
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// callbackUnreachable says why an installed machine could not reach the
// install callback, or "". The HTTP boot server serves it (machines reach
// that one); without it, the web server must listen where machines are.
func (v *validator) callbackUnreachable() string {
	if !On(v.c.Web.Enabled) {
		return "web is disabled (the callback token is derived from the API token)"
	}
	if v.c.HTTP.Enabled {
		return ""
	}
	host, _, err := net.SplitHostPort(v.c.Web.Address)
	if err != nil {
		return "" // web.address is reported on its own
	}
	if a, err := netip.ParseAddr(host); (err == nil && a.IsLoopback()) || host == "localhost" {
		return fmt.Sprintf("web.address %s listens on loopback only and http is off: machines reach neither (enable http, which serves the callback)", v.c.Web.Address)
	}
	return ""
}
