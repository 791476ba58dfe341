package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/pxed/pxed/internal/rules"
)

// ruleProblem is what is wrong with one field of a rule, the field named
// under the rule ("match.mac[1]"), so that Validate can give its line.
type ruleProblem struct {
	field, msg string
}

// compile makes r a rules.Rule, each field through the parser of package
// rules, and says what is wrong with each field that does not parse.
func (r *Rule) compile() (rules.Rule, []ruleProblem) {
	out := rules.Rule{Name: r.Name}
	var ps []ruleProblem
	bad := func(field string, err error) { ps = append(ps, ruleProblem{field, err.Error()}) }
	m := &r.Match
	for i, s := range m.MAC {
		p, err := rules.ParseMACPrefix(s)
		if err != nil {
			bad(fmt.Sprintf("match.mac[%d]", i), err)
			continue
		}
		out.Match.MACs = append(out.Match.MACs, p)
	}
	for i, s := range m.Arch {
		a, err := rules.ParseArch(s)
		if err != nil {
			bad(fmt.Sprintf("match.arch[%d]", i), err)
			continue
		}
		out.Match.Arches = append(out.Match.Arches, a)
	}
	for _, g := range []struct {
		field, pattern string
		to             **rules.Glob
	}{
		{"match.vendor", m.Vendor, &out.Match.Vendor},
		{"match.product", m.Product, &out.Match.Product},
		{"match.serial", m.Serial, &out.Match.Serial},
	} {
		if g.pattern == "" {
			continue
		}
		c, err := rules.CompileGlob(g.pattern)
		if err != nil {
			bad(g.field, err)
			continue
		}
		*g.to = &c
	}
	if m.Firmware != "" {
		f, err := rules.ParseFirmware(m.Firmware)
		if err != nil {
			bad("match.firmware", err)
		}
		out.Match.Firmware = f
	}
	for _, s := range []struct {
		field, text string
		to          **rules.SizeRange
	}{
		{"match.memory", m.Memory, &out.Match.Memory},
		{"match.disk", m.Disk, &out.Match.Disk},
	} {
		if s.text == "" {
			continue
		}
		sr, err := rules.ParseSizeRange(s.text)
		if err != nil {
			bad(s.field, err)
			continue
		}
		*s.to = &sr
	}
	if r.Assign.Hostname == "" {
		ps = append(ps, ruleProblem{"assign.hostname", "has no assign.hostname (a template such as node-{{.Serial}})"})
	} else if t, err := rules.CompileHostname(r.Assign.Hostname); err != nil {
		bad("assign.hostname", err)
	} else {
		out.Hostname = t
	}
	return out, ps
}

// Compile makes r ready to match machines. A rule of a configuration that
// Validate passed compiles.
func (r *Rule) Compile() (rules.Rule, error) {
	c, ps := r.compile()
	if len(ps) > 0 {
		errs := make([]error, len(ps))
		for i, p := range ps {
			errs[i] = fmt.Errorf("discovery rule %q %s: %s", r.Name, p.field, p.msg)
		}
		return rules.Rule{}, errors.Join(errs...)
	}
	return c, nil
}

// CompileRules compiles the rules in their order, for rules.First.
func (d *Discovery) CompileRules() ([]rules.Rule, error) {
	out := make([]rules.Rule, 0, len(d.Rules))
	var errs []error
	for i := range d.Rules {
		c, err := d.Rules[i].Compile()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Host is the host entry r makes for the machine with MAC mac, given the
// name its template rendered: the rule's address, profile (as the host's
// boot.profile) and netboot, and Rule naming r.
func (r *Rule) Host(name string, mac net.HardwareAddr) Host {
	h := Host{
		Name:    name,
		MAC:     MAC{append(net.HardwareAddr(nil), mac...)},
		IP:      r.Assign.IP,
		Netboot: r.Assign.Netboot,
		Rule:    r.Name,
	}
	if r.Assign.Profile != "" {
		h.Boot = &Boot{Profile: r.Assign.Profile}
	}
	return h
}

// Adoption is what the discovery rules make of one machine.
type Adoption struct {
	// Result is the answer of the rule that decides (rules.First), or
	// rules.NoMatch when none does.
	Result rules.Result
	// Rule is the deciding rule; nil on NoMatch.
	Rule *Rule
	// Host is the host entry it makes, on rules.Match only.
	Host Host
}

// Adopt applies the rules to the machine with facts f: the first rule that
// does not refuse decides (rules.First). On rules.Match the adoption holds
// the host entry to add; on rules.NeedsInventory the machine waits for its
// inventory; on rules.NoMatch it waits for an operator. The error is a
// rule that does not compile (a configuration Validate refused) or a name
// the machine's facts cannot make (an empty serial number in
// "{{.Serial}}").
func (d *Discovery) Adopt(f rules.Facts) (Adoption, error) {
	compiled, err := d.CompileRules()
	if err != nil {
		return Adoption{}, err
	}
	i, res := rules.First(compiled, f)
	if res == rules.NoMatch {
		return Adoption{Result: rules.NoMatch}, nil
	}
	a := Adoption{Result: res, Rule: &d.Rules[i]}
	if res != rules.Match {
		return a, nil
	}
	name, err := compiled[i].Hostname.Render(f)
	if err != nil {
		return Adoption{}, fmt.Errorf("discovery rule %q: %w", d.Rules[i].Name, err)
	}
	a.Host = d.Rules[i].Host(name, f.MAC)
	return a, nil
}

// discovery checks the discovery section: the boot choice, its kernel,
// and each rule: a name of its own, every match field parsing, a host-name
// template, and a profile, address and netboot a host could have.
func (v *validator) discovery() {
	d := &v.c.Discovery
	switch d.Boot {
	case "", DiscoveryOff:
	case DiscoveryAll, DiscoveryRules:
		if d.Kernel == "" {
			v.add("discovery.boot", "discovery.boot %s needs discovery.kernel, the Linux kernel the discovery boot runs", d.Boot)
		}
		if d.Boot == DiscoveryRules && len(d.Rules) == 0 {
			v.add("discovery.boot", "discovery.boot rules has no discovery.rules: no machine would get the discovery boot")
		}
	default:
		v.add("discovery.boot", "discovery.boot %q: use off, all or rules", d.Boot)
	}
	names := map[string]int{}
	ips := map[netip.Addr]ipOwner{}
	for i := range v.c.Hosts {
		if a := v.c.Hosts[i].IP; a.IsValid() {
			if _, ok := ips[a.Addr]; !ok {
				ips[a.Addr] = ipOwner{fmt.Sprintf("hosts[%d].ip", i), hostLabel(v.c, i), v.c.Hosts[i].Rule}
			}
		}
	}
	for i := range d.Rules {
		v.rule(i, names, ips)
	}
}

// ruleLabel names a rule in messages: discovery rule "racks", or
// discovery rule 3 (counted from 1) when it has no name.
func ruleLabel(d *Discovery, i int) string {
	if n := d.Rules[i].Name; n != "" {
		return "discovery rule " + strconv.Quote(n)
	}
	return "discovery rule " + strconv.Itoa(i+1)
}

// ipOwner is the host or rule that has an address: the path of its field
// and its label; rule is the rule that adopted the host, if one did.
type ipOwner struct{ path, label, rule string }

func (v *validator) rule(i int, names map[string]int, ips map[netip.Addr]ipOwner) {
	r := &v.c.Discovery.Rules[i]
	p := fmt.Sprintf("discovery.rules[%d]", i)
	label := ruleLabel(&v.c.Discovery, i)
	switch j, dup := names[r.Name]; {
	case r.Name == "":
		v.add(p, "%s has no name (hosts it adopts record it in hosts[].rule)", label)
	case !validHostname(r.Name):
		// The name goes into hosts[].rule, the API's paths and the
		// dashboard: the characters of a profile's name, which go there too.
		v.add(p+".name", "%s: use letters, digits and hyphens in its name", label)
	case dup:
		v.add(p+".name", "%s: the name is already used%s", label, v.at(fmt.Sprintf("discovery.rules[%d].name", j)))
	default:
		names[r.Name] = i
	}
	_, ps := r.compile()
	for _, q := range ps {
		v.add(p+"."+q.field, "%s %s: %s", label, q.field, q.msg)
	}
	a := &r.Assign
	if a.Profile != "" {
		if _, ok := v.c.ProfileByName(a.Profile); !ok {
			v.add(p+".assign.profile", "%s assigns profile %q, which is not defined (profiles: or \"local\")", label, a.Profile)
		}
	}
	if a.IP.IsValid() {
		switch other, dup := ips[a.IP.Addr]; {
		case dup && other.rule != "" && other.rule == r.Name:
			// The host this rule adopted has the rule's address: that
			// is the rule doing its work, not a clash.
		case dup:
			v.add(p+".assign.ip", "%s assigns IP %s, which %s has too%s", label, a.IP, other.label, v.at(other.path))
		default:
			ips[a.IP.Addr] = ipOwner{p + ".assign.ip", label, ""}
		}
		v.fixedIP(p+".assign.ip", label, a.IP.Addr)
	}
	switch a.Netboot {
	case "", NetbootAlways, NetbootNever:
	case NetbootOnce:
		if why := v.callbackUnreachable(); why != "" {
			v.add(p+".assign.netboot", "%s netboot once needs the install callback, but %s", label, why)
		}
	default:
		v.add(p+".assign.netboot", "%s netboot %q: use always, once or never", label, a.Netboot)
	}
}

// ParseRule reads one discovery rule, as it would stand in discovery.rules,
// from YAML (or JSON, which YAML reads too), strictly: an unknown field is
// an error, as it is in the file.
func ParseRule(file string, data []byte) (Rule, error) {
	var r Rule
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		if errors.Is(err, io.EOF) {
			return Rule{}, fmt.Errorf("%s: no rule in it", file)
		}
		return Rule{}, yamlError(file, err)
	}
	return r, nil
}
