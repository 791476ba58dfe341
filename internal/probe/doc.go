// Package probe finds, ahead of time, whether the addresses the DHCPv4
// server will offer next are already in use, so that a DISCOVER never waits
// for a probe (dnsmasq, ISC dhcpd's ping-check and Kea's ping-check hook
// all ping while the client waits, about 3 s for dnsmasq).
//
// A Prober keeps, for each pool with probing on, a window of the addresses
// the lease.Allocator would offer next (Allocator.Upcoming) probed and
// known free or taken:
//
//   - on a subnet of an interface pxed serves, with ARP probes in the form
//     of RFC 5227 §2.1.1 (sender IP 0.0.0.0, so that no host's ARP cache
//     learns anything from it), whose answers name the responder's MAC;
//   - on a subnet reached through relays (giaddr), with ICMP echo.
//
// Probes go out through a token bucket per link, so that a large pool never
// floods it. A probe that has no answer within the wait makes its address
// known free for a while (the freshness); then it is probed again if it is
// still in the window. An address that answers is held back as a declined
// one (Allocator.Hold) for the conflict hold, logged with the responder's
// MAC, counted and listed as a squatter; when the hold ends it comes back
// into the window and is probed again before it is offered.
//
// Reservations (hosts with a fixed address) are probed too, every so
// often, and reported when a machine other than the reserved one answers
// (over ICMP, which names no machine: when an answer comes while the
// reserved machine holds no lease on its address); they are never
// withheld: the operator asked for that address.
//
// The decisions (which addresses are due, whether a result is still
// trusted, what an answer means, the token bucket) are pure functions
// over values (window.go); the ARP codec is pure (arp.go); the sockets are
// Linux's (link_linux.go).
package probe
