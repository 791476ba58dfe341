package rules

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// MACPrefix is the leading octets of a MAC address: all six for one
// machine, three for a vendor's OUI (IEEE 802: the first 24 bits name the
// maker, "52:54:00" is QEMU's), or any count in between.
type MACPrefix []byte

// ParseMACPrefix reads one to six octets of two hex digits each,
// separated by ":" or "-" ("52:54:00", "00-18-e7-42-84-3a"), or written
// together ("525400").
func ParseMACPrefix(s string) (MACPrefix, error) {
	t := strings.TrimSpace(s)
	var parts []string
	switch {
	case strings.Contains(t, ":"):
		parts = strings.Split(t, ":")
	case strings.Contains(t, "-"):
		parts = strings.Split(t, "-")
	default:
		for i := 0; i+2 <= len(t); i += 2 {
			parts = append(parts, t[i:i+2])
		}
		if len(t)%2 != 0 {
			parts = append(parts, t[len(t)-1:])
		}
	}
	if len(parts) == 0 || len(parts) > 6 {
		return nil, fmt.Errorf("MAC %q is not a MAC address or prefix of 1 to 6 octets (like 52:54:00 or 00:18:e7:42:84:3a)", s)
	}
	p := make(MACPrefix, len(parts))
	for i, part := range parts {
		b, err := strconv.ParseUint(part, 16, 8)
		if err != nil || len(part) != 2 {
			return nil, fmt.Errorf("MAC %q: octet %q is not two hex digits", s, part)
		}
		p[i] = byte(b)
	}
	return p, nil
}

// Matches reports whether mac starts with p.
func (p MACPrefix) Matches(mac net.HardwareAddr) bool {
	return len(p) > 0 && bytes.HasPrefix(mac, p)
}

// String writes p lower case with colons.
func (p MACPrefix) String() string { return net.HardwareAddr(p).String() }
