package httpboot

import (
	"net/netip"
	"strings"
)

// isGRUB reports whether a request's User-Agent is GRUB's: its http
// module sends PACKAGE_STRING, "GRUB 2.06" and so on (Debian's adds the
// package version: "GRUB 2.06-13+deb12u2").
func isGRUB(userAgent string) bool { return strings.HasPrefix(userAgent, "GRUB ") }

// Default send MSS that TCP must assume for a peer whose SYN carries no
// MSS option (RFC 9293 §3.7.1): 536 over IPv4, 1220 over IPv6.
const (
	defaultMSS4 = 536
	defaultMSS6 = 1220
)

// grubSegment decides the segment size to send to the client of a request
// in place of the one the kernel chose (sent), given the MSS the server
// advertises on the same path (adv, from the route's MTU), or reports that
// the kernel's choice stands.
//
// GRUB's TCP (grub-core/net/tcp.c, 2.06 and later) opens its connections
// with a bare SYN: no MSS option, a fixed 8192-byte window, no window
// scaling. Linux then sends it the RFC 9293 default of 536 bytes a
// segment, and GRUB, which ACKs every segment and, under emulation,
// spends about 0.12 ms on each, moves a 40 MB initrd over HTTP more slowly
// than over its lock-step TFTP at 1024 bytes a block. Yet GRUB receives
// whole Ethernet frames: efinet sizes its receive buffer from the NIC's
// maximum packet size (efinet.c, rcvbufsize = MTU + 256) and its IP layer
// takes 1468-byte TFTP blocks. So for a client that names itself GRUB
// (http.c sends "User-Agent: GRUB 2.06" and so on) and got the default,
// the path's own MSS is the one to send.
//
// A client that is not GRUB, or a GRUB that did send an MSS option (sent
// is then not the default), keeps the kernel's choice: the override is
// for the known quirk only.
func grubSegment(userAgent string, remote netip.Addr, sent, adv uint32) (uint32, bool) {
	if !isGRUB(userAgent) {
		return 0, false
	}
	def := uint32(defaultMSS6)
	if remote.Unmap().Is4() {
		def = defaultMSS4
	}
	if sent != def || adv <= sent {
		return 0, false
	}
	return adv, true
}

// GRUBSegmentsSizable reports whether the server can now send GRUB
// full-size segments (grubSegment): on Linux, with CAP_NET_ADMIN in
// effect, which TCP repair mode needs. pxed has it when run as root; not
// after `--user` has switched users, nor under the systemd unit as
// shipped. Without it, GRUB 2.06 over HTTP gets 536-byte segments and is
// slower than over its TFTP, so configs should name TFTP paths.
func GRUBSegmentsSizable() bool { return canSetSegment() }
