// Package ra answers IPv6 router solicitations with the smallest router
// advertisement that lets a network-boot client stop waiting.
//
// Why: iPXE configures IPv6 alongside DHCPv4 and, on a network without an
// IPv6 router, waits for a router advertisement that never comes (about 13 s
// in the lab) before it starts fetching its boot file. An advertisement with
// router lifetime 0 ("I am not a default router", RFC 4861 §4.2), no prefix
// and the M and O flags clear completes iPXE's IPv6 configuration at once,
// while giving hosts nothing to configure: no address, no route, no DHCPv6.
// It is off unless the operator names the interfaces (config ipv6.router_advertisement),
// because it must not be sent where a real IPv6 router serves the link.
package ra
