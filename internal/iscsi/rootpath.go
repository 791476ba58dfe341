package iscsi

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Scheme is the URI scheme of an iSCSI root path (RFC 4173 §5).
const Scheme = "iscsi:"

// DefaultPort is the iSCSI port (RFC 3720 §13.3: "well-known user TCP port
// number 3260"), which an empty port field means (RFC 4173 §5).
const DefaultPort = 3260

// protocolTCP is the only transport RFC 4173 §5 defines: "6" (TCP), the
// protocol number, also what an empty field means.
const protocolTCP = 6

// maxNameLen is the longest iSCSI name: 223 bytes (RFC 3720 §3.2.6.1).
const maxNameLen = 223

// Target is an iSCSI root path taken apart, its empty fields given their
// defaults (RFC 4173 §5).
type Target struct {
	// Server is the target's address or DNS name, as written (an IPv6
	// literal without its brackets).
	Server string
	// Port is the target's TCP port, DefaultPort when the field is empty.
	Port uint16
	// LUN is the boot LUN in the SAM-2 eight-byte form: up to four 16-bit
	// levels, first level first; all zero (LUN 0) when the field is empty.
	LUN [4]uint16
	// Name is the target's iSCSI name (iqn., eui. or naa.).
	Name string
}

// Parse reads s as an iSCSI root path. The fields are separated by ":"; the
// target name, last, may hold more colons (an iqn name usually does), and
// an IPv6 server is written in brackets, as iPXE reads it
// (iscsi_parse_root_path skips colons between "[" and "]").
func Parse(s string) (Target, error) {
	rest, ok := cutPrefixFold(s, Scheme)
	if !ok {
		return Target{}, fmt.Errorf("%q does not start with %q", s, Scheme)
	}
	server, rest, err := cutServer(rest)
	if err != nil {
		return Target{}, err
	}
	fields := strings.SplitN(rest, ":", 4)
	if len(fields) != 4 {
		return Target{}, errors.New("too few fields: want iscsi:<server>:<protocol>:<port>:<LUN>:<target name> (RFC 4173 §5)")
	}
	proto, port, lun, name := fields[0], fields[1], fields[2], fields[3]
	t := Target{Server: server, Port: DefaultPort, Name: name}
	if proto != "" && proto != strconv.Itoa(protocolTCP) {
		return Target{}, fmt.Errorf("protocol %q: RFC 4173 defines only 6 (TCP), the default when empty", proto)
	}
	if port != "" {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			return Target{}, fmt.Errorf("port %q is not a TCP port (1-65535; empty: %d)", port, DefaultPort)
		}
		t.Port = uint16(p)
	}
	if t.LUN, err = parseLUN(lun); err != nil {
		return Target{}, err
	}
	if err := checkName(name); err != nil {
		return Target{}, err
	}
	return t, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// cutServer reads the server field and the ":" after it.
func cutServer(s string) (server, rest string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", "", errors.New("server: \"[\" without \"]\"")
		}
		lit := s[1:end]
		a, err := netip.ParseAddr(lit)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", fmt.Errorf("server [%s] is not an IPv6 address", lit)
		}
		rest, ok := strings.CutPrefix(s[end+1:], ":")
		if !ok {
			return "", "", errors.New("too few fields: want iscsi:<server>:<protocol>:<port>:<LUN>:<target name> (RFC 4173 §5)")
		}
		return lit, rest, nil
	}
	server, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", errors.New("too few fields: want iscsi:<server>:<protocol>:<port>:<LUN>:<target name> (RFC 4173 §5)")
	}
	if server == "" {
		return "", "", errors.New("no server: RFC 4173 §5 requires the target's address or DNS name")
	}
	if a, err := netip.ParseAddr(server); err == nil {
		if !a.Is4() {
			return "", "", fmt.Errorf("server %s: write an IPv6 address in brackets, [%s]", server, server)
		}
		return server, rest, nil
	}
	if !isDNSName(server) {
		return "", "", fmt.Errorf("server %q is neither an IP address nor a DNS name", server)
	}
	return server, rest, nil
}

// isDNSName reports whether s is a host name of letters, digits and
// hyphens in dot-separated labels (RFC 1123 §2.1).
func isDNSName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseLUN reads the LUN field: empty for LUN 0, else the SAM-2 eight-byte
// LUN in hexadecimal as up to four groups of up to four digits separated by
// "-" ("1", "4752-3A4B-6C6D-6E6F"), the form RFC 4173 §5 names and iPXE's
// scsi_parse_lun reads.
func parseLUN(s string) ([4]uint16, error) {
	var lun [4]uint16
	if s == "" {
		return lun, nil
	}
	groups := strings.Split(s, "-")
	if len(groups) > 4 {
		return lun, fmt.Errorf("LUN %q has more than four groups of hex digits", s)
	}
	for i, g := range groups {
		v, err := strconv.ParseUint(g, 16, 16)
		if err != nil || len(g) > 4 {
			return lun, fmt.Errorf("LUN %q: write it in hexadecimal, up to four groups of up to four digits separated by \"-\" (1, 4752-3a4b)", s)
		}
		lun[i] = uint16(v)
	}
	return lun, nil
}

// checkName checks the target name as an iSCSI name (RFC 3720 §3.2.6):
// at most 223 bytes of letters, digits, "-", "." and ":" (what remains
// after RFC 3722's stringprep, in ASCII), in one of the three formats:
// "iqn." with a date (yyyy-mm) and a reversed domain name (§3.2.6.3.1),
// "eui." with 16 hex digits (§3.2.6.3.2), or "naa." with 16 or 32 hex
// digits (RFC 3980 §2).
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("no target name: RFC 4173 §5 requires the target's iSCSI name (iqn.…)")
	case len(name) > maxNameLen:
		return fmt.Errorf("target name is %d bytes, more than the %d an iSCSI name may have (RFC 3720 §3.2.6.1)", len(name), maxNameLen)
	}
	for _, c := range []byte(name) {
		if !isAlnum(c) && c != '-' && c != '.' && c != ':' {
			return fmt.Errorf("target name %q: %q is not allowed in an iSCSI name (letters, digits, \"-\", \".\", \":\")", name, c)
		}
	}
	typ, rest, _ := strings.Cut(strings.ToLower(name), ".")
	switch typ {
	case "iqn":
		// iqn.yyyy-mm.reversed.domain[:anything]
		date, domain, _ := strings.Cut(rest, ".")
		if len(date) != 7 || date[4] != '-' || !allDigits(date[:4]) || !allDigits(date[5:]) {
			return fmt.Errorf("target name %q: an iqn name starts iqn.yyyy-mm. (RFC 3720 §3.2.6.3.1)", name)
		}
		authority, unique, colon := strings.Cut(domain, ":")
		if authority == "" {
			return fmt.Errorf("target name %q: an iqn name has a reversed domain name after its date (iqn.%s.org.example)", name, date)
		}
		// A colon starts the naming authority's own string, which must
		// then be there: a template that left it empty (a machine without
		// a host name) names no one target.
		if colon && unique == "" {
			return fmt.Errorf("target name %q ends with \":\": nothing follows the naming authority", name)
		}
	case "eui":
		if len(rest) != 16 || !allHex(rest) {
			return fmt.Errorf("target name %q: an eui name is eui. and 16 hex digits (RFC 3720 §3.2.6.3.2)", name)
		}
	case "naa":
		if (len(rest) != 16 && len(rest) != 32) || !allHex(rest) {
			return fmt.Errorf("target name %q: an naa name is naa. and 16 or 32 hex digits (RFC 3980 §2)", name)
		}
	default:
		return fmt.Errorf("target name %q is no iSCSI name: it starts with iqn., eui. or naa. (RFC 3720 §3.2.6.3)", name)
	}
	return nil
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func allHex(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// String writes t as a root path with every field given: protocol 6, the
// port, the LUN (its trailing zero levels left out) and the name.
func (t Target) String() string {
	server := t.Server
	if strings.Contains(server, ":") {
		server = "[" + server + "]"
	}
	n := len(t.LUN)
	for n > 1 && t.LUN[n-1] == 0 {
		n--
	}
	groups := make([]string, n)
	for i := range n {
		groups[i] = strconv.FormatUint(uint64(t.LUN[i]), 16)
	}
	return fmt.Sprintf("%s%s:%d:%d:%s:%s", Scheme, server, protocolTCP, t.Port, strings.Join(groups, "-"), t.Name)
}
