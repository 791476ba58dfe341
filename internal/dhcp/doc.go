// Package dhcp is pxed's DHCPv4 server (RFC 2131, RFC 2132) with the PXE
// extensions (PXE 2.1, RFC 4578). It answers BOOTP clients too (RFC 951,
// RFC 1497, RFC 1542; bootp.go): those with a fixed address, and with
// dynamic-bootp pool addresses where the subnet allows.
//
// Responder.Respond is the whole decision: given a parsed request and where it
// arrived, it returns the reply to send (or the reason to send none) and the
// lease that must be durable before the reply leaves. It touches no socket,
// and builds and runs on any system.
//
// Server is the I/O around it: one socket per interface, a bounded pool of
// workers, rate limits per client, RFC 2131 §4.1 reply routing, and the rule
// that no DHCPACK is sent before its lease is committed. Its Stats feed
// pxed's metrics. Serving is Linux only (conn_linux.go: SO_BINDTODEVICE and
// packet sockets); elsewhere Listen and Serve return an error wrapping
// errors.ErrUnsupported.
package dhcp
