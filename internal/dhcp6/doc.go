// Package dhcp6 is pxed's DHCPv6 server (RFC 8415) with the network-boot
// options of RFC 5970.
//
// Responder.Respond is the whole decision: given a parsed message (relayed
// or not) and where it arrived, it returns the reply to send, already
// wrapped in Relay-reply messages for the relays it came through (RFC 8415
// §19.3), or the reason to send none, and the leases that must be durable
// before the reply leaves. It touches no socket, and builds and runs on any
// system.
//
// Server is the I/O around it: one UDP socket on port 547 per interface,
// joined to ff02::1:2, a bounded pool of workers, rate limits per client
// DUID and for unknown clients together, and the rule that no Reply is sent
// before its leases are committed. Serving is Linux only (conn_linux.go:
// SO_BINDTODEVICE); elsewhere Listen returns an error wrapping
// errors.ErrUnsupported.
//
// Machines are identified by MAC as everywhere in pxed (ClientMAC): from a
// relay's client link-layer address option (RFC 6939), else a DUID-LL or
// DUID-LLT of an Ethernet address, else, for a client whose DUID holds no
// MAC (iPXE's DUID-UUID), the kernel's neighbour entry for its link-local
// source address (read by Server, the only I/O) or the modified EUI-64 in
// that address (RFC 4291 Appendix A). Leases are keyed by DUID and IAID.
package dhcp6
