package catalog

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/rules"
)

// Source says where an entry comes from.
type Source string

const (
	FromConfig Source = "config" // the YAML file
	FromAPI    Source = "api"    // made through the API (the Store)
	BuiltIn    Source = "builtin"
)

// Host is a host entry as served: the entry, where it comes from, and what
// was derived from it once, so that a DHCP reply does no encoding.
type Host struct {
	config.Host
	Source Source `json:"source"`
	// Installed is when its installed system called back (netboot once);
	// zero when it has not.
	Installed time.Time `json:"installed,omitzero"`

	options []RawOption
}

// RawOption is a DHCP option encoded for the wire.
type RawOption struct {
	Code  uint8
	Value []byte
}

// RawOptions are the host's DHCP options, encoded, in the order given.
func (h *Host) RawOptions() []RawOption { return h.options }

// Profile is a profile entry as served.
type Profile struct {
	config.Profile
	Source Source `json:"source"`
}

// Rule is a discovery rule as served.
type Rule struct {
	config.Rule
	Source Source `json:"source"`
}

// Snapshot is the catalog at one moment: immutable, so any number of
// goroutines read it without locks. Catalog.Snapshot returns the current one.
type Snapshot struct {
	hosts    []*Host
	profiles []*Profile
	machines []Machine

	byMAC  map[string]*Host // exact MAC (mac, and macs entries without wildcards), as bytes
	byUUID map[string]*Host // lower case
	globs  []glob           // in host order

	// global and subnets: the boot choices of the YAML file, merged once;
	// subnets[i] is base's DHCP subnet i (config.SubnetIndex).
	base    *config.Config
	global  pxe.Boot
	subnets []subnetBoot
	// subnets6[i] is base's DHCPv6 subnet i (config.Subnet6Index).
	subnets6 []subnetBoot
	profile  string // network-wide profile name
	// discovery is the built-in discovery profile; nil when
	// discovery.boot is off.
	discovery *Profile
	// rules are the discovery rules in effect (see build).
	rules []*Rule
	// compiled are those of rules that compile, in their order, for
	// rules.First; compiledOf[i] is the rule compiled[i] was made of.
	compiled   []rules.Rule
	compiledOf []*Rule
}

type glob struct {
	pattern string
	host    *Host
}

type subnetBoot struct {
	boot    pxe.Boot
	profile string
}

// Static is the snapshot of base alone, for a pxed (or a test) without a
// Store.
func Static(base *config.Config) (*Snapshot, error) { return build(base, State{}) }

// build makes a Snapshot of base with st laid over it.
func build(base *config.Config, st State) (*Snapshot, error) {
	s := &Snapshot{base: base, byMAC: map[string]*Host{}, byUUID: map[string]*Host{}, profile: base.Boot.Profile}
	var err error
	global := pxe.Boot{}
	if base.IPXEEFIFile() != "" {
		global.IPXE = config.IPXEEFIPath
	}
	if s.global, err = MergeBoot(global, &base.Boot); err != nil {
		return nil, fmt.Errorf("boot: %w", err)
	}
	for _, sub := range base.DHCP.Subnets {
		b, err := MergeBoot(s.global, sub.Boot)
		if err != nil {
			return nil, fmt.Errorf("subnet %s: %w", sub.Network, err)
		}
		sb := subnetBoot{boot: b}
		if sub.Boot != nil {
			sb.profile = sub.Boot.Profile
		}
		s.subnets = append(s.subnets, sb)
	}
	for _, sub := range base.DHCP6.Subnets {
		b, err := MergeBoot(s.global, sub.Boot)
		if err != nil {
			return nil, fmt.Errorf("dhcp6 subnet %s: %w", sub.Prefix, err)
		}
		sb := subnetBoot{boot: b}
		if sub.Boot != nil {
			sb.profile = sub.Boot.Profile
		}
		s.subnets6 = append(s.subnets6, sb)
	}

	// Hosts: the YAML ones in file order, each replaced in place by an API
	// entry of the same name; then the API-only ones by name.
	api := slices.Clone(st.Hosts)
	slices.SortFunc(api, func(a, b config.Host) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	overlay(base.Hosts, api, hostName, func(h config.Host, src Source) {
		s.hosts = append(s.hosts, &Host{Host: h, Source: src})
	})
	for _, h := range s.hosts {
		h.Installed = st.Installed[strings.ToLower(h.Name)]
		for _, o := range h.Options {
			v, err := o.Value()
			if err != nil {
				return nil, fmt.Errorf("host %s: option %d: %w", h.Name, o.Code, err)
			}
			h.options = append(h.options, RawOption{uint8(o.Code), v})
		}
		s.index(h)
	}

	papi := slices.Clone(st.Profiles)
	slices.SortFunc(papi, func(a, b config.Profile) int { return cmp.Compare(a.Name, b.Name) })
	overlay(base.Profiles, papi, profileName, func(p config.Profile, src Source) {
		s.profiles = append(s.profiles, &Profile{Profile: p, Source: src})
	})

	// Discovery rules as hosts: the file's in file order (the first that
	// matches wins), each replaced in place by an API rule of its name,
	// then the API-only ones by name.
	rapi := slices.Clone(st.Rules)
	slices.SortFunc(rapi, func(a, b config.Rule) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	overlay(base.Discovery.Rules, rapi, ruleName, func(r config.Rule, src Source) {
		s.rules = append(s.rules, &Rule{Rule: r, Source: src})
	})
	for _, r := range s.rules {
		// The file's rules passed Validate and the API's the same checks,
		// so each compiles; one that does not (stored by another version
		// of pxed) adopts no machine, and the others still do.
		if c, err := r.Compile(); err == nil {
			s.compiled = append(s.compiled, c)
			s.compiledOf = append(s.compiledOf, r)
		}
	}
	if b := base.Discovery.Boot; b != "" && b != config.DiscoveryOff {
		s.discovery = discoveryProfile(base.Discovery)
	}
	s.machines = slices.Clone(st.Machines)
	slices.SortFunc(s.machines, func(a, b Machine) int { return b.LastSeen.Compare(a.LastSeen) })
	return s, nil
}

// overlay calls add for each file entry in file order, or for the API
// entry of the same name (names compare without case) in its place, then
// for the API entries no file entry named, in the order api gives.
func overlay[T any](file, api []T, name func(T) string, add func(T, Source)) {
	used := make([]bool, len(api))
	for _, f := range file {
		v, src := f, FromConfig
		for i := range api {
			if strings.EqualFold(name(api[i]), name(f)) {
				v, src, used[i] = api[i], FromAPI, true
			}
		}
		add(v, src)
	}
	for i := range api {
		if !used[i] {
			add(api[i], FromAPI)
		}
	}
}

// index files h under its MAC, its UUID and its macs entries. The first
// host to claim a key keeps it (Validate reports duplicates in the file;
// the API refuses them).
func (s *Snapshot) index(h *Host) {
	claim := func(m map[string]*Host, k string) {
		if _, dup := m[k]; !dup {
			m[k] = h
		}
	}
	if len(h.MAC.HardwareAddr) > 0 {
		claim(s.byMAC, string(h.MAC.HardwareAddr))
	}
	if h.UUID != "" {
		claim(s.byUUID, strings.ToLower(h.UUID))
	}
	for _, p := range h.MACs {
		if strings.ContainsAny(p, "*?") {
			s.globs = append(s.globs, glob{normalMAC(p), h})
		} else if m, err := net.ParseMAC(p); err == nil {
			claim(s.byMAC, string(m))
		}
	}
}

// normalMAC writes a MAC or MAC glob lower case with ":" separators, the
// form globs are matched in.
func normalMAC(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", ":") }

// Match finds the host entry of a machine: by exact MAC (its mac, or an
// address in its macs), else by the UUID it sent in option 97, else by the
// first glob in host order that matches its MAC. The exact forms come first
// because they name one machine; a glob names a batch.
func (s *Snapshot) Match(mac net.HardwareAddr, uuid []byte) (*Host, bool) {
	if h, ok := s.byMAC[string(mac)]; ok {
		return h, true
	}
	if u := pxe.UUIDString(uuid); u != "" {
		if h, ok := s.byUUID[u]; ok {
			return h, true
		}
	}
	if len(s.globs) > 0 && len(mac) > 0 {
		m := mac.String()
		for _, g := range s.globs {
			if ok, _ := path.Match(g.pattern, m); ok {
				return g.host, true
			}
		}
	}
	return nil, false
}

// Decision is what a machine boots, decided in one place for DHCP and for
// the generated loader configs.
type Decision struct {
	// Host is the machine's entry, nil for an unknown machine.
	Host *Host
	// Boot is the boot file choice: the host's over its profile's loader
	// over its subnet's over the network-wide one, field by field.
	Boot pxe.Boot
	// Profile is what the loader config boots, nil when none is set (the
	// loader then finds its own files). It is the host's profile, else the
	// subnet's, else the network-wide one; "local" when the host's netboot
	// is never, or once and it has called back.
	Profile *Profile
	// Why says where Profile came from, for logs: "host", "subnet",
	// "global", "netboot never", "installed".
	Why string
}

// Resolve decides for the machine with hardware address mac, as its last
// request classified it (c: its option 97 UUID, and its option 93
// architecture, which a discovery rule may ask for), that reached pxed
// for subnet link: a DHCPv4 subnet's address, or a DHCPv6 one's.
func (s *Snapshot) Resolve(mac net.HardwareAddr, c pxe.Client, link netip.Addr) Decision {
	uuid := c.UUID
	d := Decision{Boot: s.global}
	name, why := s.profile, "global"
	if sb, ok := s.subnetBoot(link); ok {
		d.Boot = sb.boot
		if sb.profile != "" {
			name, why = sb.profile, "subnet"
		}
	}
	h, matched := s.Match(mac, uuid)
	if matched {
		d.Host = h
		if h.Boot != nil && h.Boot.Profile != "" {
			name, why = h.Boot.Profile, "host"
		}
		switch {
		case h.Netboot == config.NetbootNever:
			name, why = config.LocalProfile, "netboot never"
		case h.Netboot == config.NetbootOnce && !h.Installed.IsZero():
			name, why = config.LocalProfile, "installed"
		}
	} else if s.discovery != nil && s.discovers(mac, c) {
		// A machine no host entry names boots discovery: its agent
		// reports its hardware, and a rule or an operator adopts it.
		name, why = config.DiscoveryProfile, "discovery"
	}
	if name != "" {
		d.Profile, _ = s.Profile(name)
	}
	// Boot files: the profile's loader over the subnet's or network-wide
	// choice, and the host's own over both, field by field.
	if d.Profile != nil && d.Profile.Loader != nil {
		if b, err := MergeBoot(d.Boot, d.Profile.Loader); err == nil {
			d.Boot = b
		}
	}
	if matched {
		if b, err := MergeBoot(d.Boot, h.Boot); err == nil {
			d.Boot = b
		}
	}
	d.Why = why
	return d
}

// subnetBoot is the boot choice of the subnet link is in: a DHCPv6 one
// for an IPv6 address, else a DHCPv4 one.
func (s *Snapshot) subnetBoot(link netip.Addr) (subnetBoot, bool) {
	if link.Is6() && !link.Is4In6() {
		if i := s.base.Subnet6Index(link); i >= 0 {
			return s.subnets6[i], true
		}
		return subnetBoot{}, false
	}
	if i := s.base.SubnetIndex(link); i >= 0 {
		return s.subnets[i], true
	}
	return subnetBoot{}, false
}

// localProfile is the built-in profile that boots the local disk.
var localProfile = &Profile{Profile: config.Profile{Name: config.LocalProfile}, Source: BuiltIn}

// Profile returns the profile called name; "local" is built in.
func (s *Snapshot) Profile(name string) (*Profile, bool) {
	if name == config.LocalProfile {
		return localProfile, true
	}
	if name == config.DiscoveryProfile && s.discovery != nil {
		return s.discovery, true
	}
	for _, p := range s.profiles {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return nil, false
}

// Host returns the host called name (ignoring case).
func (s *Snapshot) Host(name string) (*Host, bool) {
	for _, h := range s.hosts {
		if strings.EqualFold(h.Name, name) {
			return h, true
		}
	}
	return nil, false
}

// Hosts returns every host entry: the file's in file order, then the API's by name.
func (s *Snapshot) Hosts() []*Host { return s.hosts }

// Rules returns the discovery rules in effect, in the order they are
// tried: the file's in file order (an API rule of the same name in its
// place), then the API's by name.
func (s *Snapshot) Rules() []*Rule { return s.rules }

// Rule returns the discovery rule called name (ignoring case).
func (s *Snapshot) Rule(name string) (*Rule, bool) {
	for _, r := range s.rules {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return nil, false
}

// Profiles returns every profile, the built-in ones ("local", and
// "discovery" when discovery.boot is on) last.
func (s *Snapshot) Profiles() []*Profile {
	out := append(slices.Clone(s.profiles), localProfile)
	if s.discovery != nil {
		out = append(out, s.discovery)
	}
	return out
}

// Machines returns the machines recorded, most recently seen first: the
// discovered ones and the adopted ones that keep their inventory.
func (s *Snapshot) Machines() []Machine { return s.machines }

// Discovered returns the machines that wait to be adopted: recorded, and
// matched by no host entry. Most recently seen first.
func (s *Snapshot) Discovered() []Machine {
	var out []Machine
	for _, m := range s.machines {
		if _, known := s.Match(m.MAC.HardwareAddr, nil); !known {
			out = append(out, m)
		}
	}
	return out
}

// Machine returns the record of the machine with address mac, discovered
// or adopted.
func (s *Snapshot) Machine(mac net.HardwareAddr) (Machine, bool) { return s.machine(mac) }

// machine returns the discovered machine with address mac.
func (s *Snapshot) machine(mac net.HardwareAddr) (Machine, bool) {
	for _, m := range s.machines {
		if string(m.MAC.HardwareAddr) == string(mac) {
			return m, true
		}
	}
	return Machine{}, false
}

// MergeBoot lays the fields set in over onto base: the one rule by which a
// host's boot section overrides its subnet's, and a subnet's the global one.
func MergeBoot(base pxe.Boot, over *config.Boot) (pxe.Boot, error) {
	if over == nil {
		return base, nil
	}
	out := base
	if over.NextServer.IsValid() {
		out.NextServer = over.NextServer.Addr
	}
	if over.File != "" {
		out.File = over.File
	}
	if over.HTTPImage != nil {
		out.Image = *over.HTTPImage
	}
	if over.HTTPS != nil {
		out.HTTPS = *over.HTTPS
	}
	if over.SecureBoot != nil {
		out.SecureBootOff = !*over.SecureBoot
	}
	if len(over.Files) > 0 {
		out.Files = make(map[pxe.Arch]string, len(base.Files)+len(over.Files))
		for a, f := range base.Files {
			out.Files[a] = f
		}
		for name, f := range over.Files {
			a, err := pxe.ParseArch(name)
			if err != nil {
				return pxe.Boot{}, err
			}
			out.Files[a.Family()] = f
		}
	}
	return out, nil
}
