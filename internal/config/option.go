package config

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// MaxOptionLen is the most a DHCP option's value can hold: its length is
// one octet (RFC 2132 §2). pxed does not split long options (RFC 3396).
const MaxOptionLen = 255

// kinds names the value fields set on o, in the order docs/config.md lists them.
func (o Option) kinds() []string {
	var k []string
	if o.String != nil {
		k = append(k, "string")
	}
	if len(o.IP) > 0 {
		k = append(k, "ip")
	}
	if o.Hex != nil {
		k = append(k, "hex")
	}
	if o.Uint8 != nil {
		k = append(k, "uint8")
	}
	if o.Uint16 != nil {
		k = append(k, "uint16")
	}
	if o.Uint32 != nil {
		k = append(k, "uint32")
	}
	if o.Bool != nil {
		k = append(k, "bool")
	}
	return k
}

// Value returns the option's value as it goes on the wire (without code and
// length): a string's bytes, 4 octets per IP, hex decoded, unsigned integers
// in network byte order, a bool as one octet 0 or 1 (RFC 2132 §2).
func (o Option) Value() ([]byte, error) {
	switch k := o.kinds(); len(k) {
	case 0:
		return nil, fmt.Errorf("option %d has no value: set one of string, ip, hex, uint8, uint16, uint32 or bool", o.Code)
	case 1:
	default:
		return nil, fmt.Errorf("option %d sets %s: set exactly one value", o.Code, strings.Join(k, " and "))
	}
	var b []byte
	switch {
	case o.String != nil:
		b = []byte(*o.String)
	case len(o.IP) > 0:
		for _, a := range o.IP {
			v := a.As4()
			b = append(b, v[:]...)
		}
	case o.Hex != nil:
		var err error
		if b, err = ParseHex(*o.Hex); err != nil {
			return nil, fmt.Errorf("option %d: %w", o.Code, err)
		}
	case o.Uint8 != nil:
		b = []byte{*o.Uint8}
	case o.Uint16 != nil:
		b = binary.BigEndian.AppendUint16(nil, *o.Uint16)
	case o.Uint32 != nil:
		b = binary.BigEndian.AppendUint32(nil, *o.Uint32)
	case o.Bool != nil:
		b = []byte{0}
		if *o.Bool {
			b[0] = 1
		}
	}
	if len(b) > MaxOptionLen {
		return nil, fmt.Errorf("option %d value is %d bytes; a DHCP option holds at most %d", o.Code, len(b), MaxOptionLen)
	}
	return b, nil
}

// ParseHex reads the hex form of an option value: "0a1b2c", "0a:1b:2c" or
// "0a 1b 2c".
func ParseHex(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ':' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("hex value %q does not parse: write pairs of hex digits, optionally separated by colons or spaces", s)
	}
	return b, nil
}
