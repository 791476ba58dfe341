// Package ra sends the IPv6 router advertisements (RFC 4861) of the links
// pxed serves, in one of two forms per interface.
//
// The minimal advertisement (config ipv6.router_advertisement) answers
// router solicitations only. Why: iPXE configures IPv6 alongside DHCPv4 and,
// on a network without an IPv6 router, waits for a router advertisement that
// never comes (about 13 s in the lab) before it starts fetching its boot
// file. An advertisement with router lifetime 0 ("I am not a default
// router", RFC 4861 §4.2), no prefix and the M and O flags clear completes
// iPXE's IPv6 configuration at once, while giving hosts nothing to
// configure: no address, no route, no DHCPv6.
//
// The full advertisement (config ipv6.advertise) makes an isolated
// provisioning link work on IPv6: the M and O flags send hosts to DHCPv6,
// Prefix Information options (§4.6.2) put prefixes on the link, and a router
// lifetime is given only when asked. It also goes unsolicited, at start and
// then periodically (§6.2.4), for firmware that never solicits.
//
// Both are off unless the operator names the interfaces, because they must
// not be sent where a real IPv6 router serves the link.
package ra
