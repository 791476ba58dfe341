package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// BOOTP says which BOOTP clients a subnet answers: machines that send a
// BOOTREQUEST without DHCP's message type (option 53), which RFC 1534 §2
// has a DHCP server take for a BOOTP client (RFC 951). Such a client asks
// once and never renews, so what it is given it keeps.
type BOOTP uint8

const (
	// BOOTPReserved, the default, answers the hosts with a fixed address
	// (hosts[].ip) on the subnet, as ISC dhcpd does unless told otherwise.
	BOOTPReserved BOOTP = iota
	// BOOTPOff answers no BOOTP client at all (ISC's "deny bootp").
	BOOTPOff
	// BOOTPDynamic also gives the other BOOTP clients an address from the
	// subnet's pools, a lease that never ends on its own (ISC's "range
	// dynamic-bootp").
	BOOTPDynamic
)

var bootpNames = [...]string{BOOTPReserved: "reserved", BOOTPOff: "off", BOOTPDynamic: "dynamic"}

func (b BOOTP) String() string {
	if int(b) < len(bootpNames) {
		return bootpNames[b]
	}
	return fmt.Sprintf("BOOTP(%d)", b)
}

// ParseBOOTP reads "off", "reserved" or "dynamic".
func ParseBOOTP(s string) (BOOTP, error) {
	for i, n := range bootpNames {
		if s == n {
			return BOOTP(i), nil
		}
	}
	return 0, fmt.Errorf("bootp %q is not off, reserved or dynamic", s)
}

func (b *BOOTP) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseBOOTP(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return badValue(n, "bootp %q must be off, reserved (hosts with an ip are answered) or dynamic (pool addresses too)", n.Value)
	}
	*b = v
	return nil
}

func (b BOOTP) MarshalYAML() (any, error) { return b.String(), nil }

// bootp checks each subnet's bootp against what it can give: dynamic needs
// a pool, and a ProxyDHCP subnet gives no addresses at all (off is what it
// does anyway, and is let be).
func (v *validator) bootp() {
	for i, s := range v.c.DHCP.Subnets {
		p := fmt.Sprintf("dhcp.subnets[%d].bootp", i)
		switch {
		case s.BOOTP == BOOTPDynamic && s.Proxy:
			v.add(p, "subnet %s is in proxy mode: pxed gives no addresses there, to BOOTP clients neither (leave bootp: dynamic out)", s.Network)
		case s.BOOTP == BOOTPDynamic && len(s.Pools) == 0:
			v.add(p, "subnet %s has bootp: dynamic but no pool to give BOOTP clients addresses from: add pools, or use bootp: reserved", s.Network)
		case s.BOOTP > BOOTPDynamic:
			v.add(p, "subnet %s: bootp %s must be off, reserved or dynamic", s.Network, s.BOOTP)
		}
	}
}
