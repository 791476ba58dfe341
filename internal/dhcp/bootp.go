package dhcp

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
)

// BOOTP clients (RFC 951, with the vendor extensions of RFC 1497 and the
// clarifications of RFC 1542): a BOOTREQUEST without a DHCP message type
// (option 53) comes from a BOOTP client (RFC 1534 §2). It asks once and
// takes one BOOTREPLY: its address, the boot server (siaddr) and boot file,
// and the options the configuration gives. It knows nothing of leases, so
// the address it is given is its own until the operator takes it back
// (RFC 1534 §2 lets a server make such permanent assignments; ISC dhcpd's
// dynamic-bootp leases never end either).

// BOOTPRefusal is why a BOOTP request got no reply: a reason an operator
// acts on, counted by kind (pxed_dhcp_bootp_refused_total) and shown on the
// machine's timeline as a refused step.
type BOOTPRefusal uint8

const (
	BOOTPAnswered    BOOTPRefusal = iota // not refused
	BOOTPOff                             // the subnet says bootp: off
	BOOTPNotReserved                     // no fixed address on the subnet, whose bootp is not dynamic
	BOOTPProxy                           // a ProxyDHCP subnet, or port 4011: no addresses given there
	BOOTPExhausted                       // bootp: dynamic, and no free address in the pools
	numBOOTPRefusals
)

// Label is the refusal as a metric label value: words that stay.
func (r BOOTPRefusal) Label() string {
	if r < numBOOTPRefusals {
		return [...]string{"answered", "off", "not_reserved", "proxy", "exhausted"}[r]
	}
	return "unknown"
}

func (r BOOTPRefusal) String() string { return r.Label() }

func refuse(r BOOTPRefusal, format string, a ...any) Decision {
	return Decision{Refused: r, Reason: fmt.Sprintf(format, a...)}
}

// bootp decides the answer to a BOOTP client: its fixed address on this
// subnet, else (bootp: dynamic) an address of the pools, in both cases a
// lease that never expires (lease.Forever), committed before the reply.
func (t *turn) bootp() Decision {
	switch {
	case t.sub.proxy || t.in.BootServer:
		return refuse(BOOTPProxy, "BOOTP request in proxy mode or on the boot server port: pxed gives no addresses here")
	case t.sub.bootp == config.BOOTPOff:
		return refuse(BOOTPOff, "BOOTP request on %s, which has bootp: off", t.sub.network)
	}
	ip, ok := t.fixed()
	if !ok {
		if t.sub.bootp != config.BOOTPDynamic {
			return refuse(BOOTPNotReserved, "BOOTP client without a fixed address on %s, whose bootp is %s: pool addresses go to BOOTP clients only with bootp: dynamic",
				t.sub.network, t.sub.bootp)
		}
		// A BOOTP client that knows its address says so in ciaddr (RFC
		// 951 §3); it is kept when it is free, as DHCP's requested address.
		var err error
		if ip, err = t.r.alloc.Offer(t.client, t.sub.pools, ip4(t.req.ClientIPAddr)); err != nil {
			d := refuse(BOOTPExhausted, "BOOTP on %s: %v", t.sub.network, err)
			d.Exhausted = errors.Is(err, lease.ErrExhausted)
			return d
		}
	}
	l := lease.Lease{
		IP: ip, MAC: bytes.Clone(t.client.MAC), ClientID: bytes.Clone(t.client.ID),
		Hostname: t.hostname(), State: lease.Bound, Expires: lease.Forever,
	}
	// No Conflict reply: BOOTP has no NAK. An address another instance
	// took meanwhile leaves the client unanswered; it asks again and is
	// given another.
	reply, room, left := t.bootReply(ip)
	reason := "bootreply"
	if len(left) > 0 {
		reason = fmt.Sprintf("bootreply without options %v: the client's vendor area holds %d octets", left, room)
	}
	return Decision{Reply: reply, Commit: &l, Reason: reason}
}

// bootReply builds the BOOTREPLY (RFC 951 §3) giving yiaddr: siaddr and
// file from the machine's boot choice, and in the vendor area the RFC 1497
// magic cookie and the options a DHCP reply to the machine carries (reply:
// subnet mask, host name, the subnet's and the host's options, and what
// else the configuration gives it), the same codes (RFC 2132). Less DHCP's
// own (dhcpOnly): message type, server identifier, lease times, which a
// BOOTP client does not read and which tell a DHCP client this is a BOOTP
// reply.
// RFC 951 §3 fixes the vendor area at 64 octets, and a BOOTP client reads
// no more than it sent (bootpc's buffer is RFC 951's 300-octet message):
// the options must fit in a vendor area as large as the request's, at
// least 64 octets, as ISC dhcpd sizes it. Those that do not fit are left
// out (fitVendor), and bootReply returns that room and their codes. The
// codec pads every message to 300 octets, so a reply is never shorter.
func (t *turn) bootReply(yiaddr netip.Addr) (resp *dhcpv4.DHCPv4, room int, left []uint8) {
	resp = t.reply(dhcpv4.MessageTypeAck, yiaddr)
	for c := range resp.Options {
		if dhcpOnly(c) {
			delete(resp.Options, c)
		}
	}
	// The boot server and file are what BOOTP is for (RFC 951 §2): always
	// given, whatever the client asked for. A BOOTP client sends no
	// architecture (option 93), so it gets the default file.
	next := t.boot.NextServer
	if !next.IsValid() {
		next = t.in.ServerIP
	}
	resp.ServerIPAddr = next.AsSlice()
	if f := t.boot.FileFor(t.pxe.Arch); len(f) < bootFileField {
		resp.BootFileName = f
	}
	if ip4(t.req.GatewayIPAddr).IsValid() && !ip4(t.req.ClientIPAddr).IsValid() {
		// Through a relay, the relay agent delivers the reply, and by
		// RFC 1542 §4.1.2 it unicasts to yiaddr and chaddr unless the
		// BOOTREPLY's broadcast flag is set. A BOOTP client without an
		// address cannot always take that unicast (Debian's bootpc: its
		// kernel drops a datagram for an address it does not have yet,
		// see Route), so the reply asks for a broadcast, as a relayed
		// DHCPNAK does (RFC 2131 §4.3.2).
		resp.SetBroadcast()
	}
	room = max(bootpMinLen, t.in.Size) - vendorOffset
	return resp, room, fitVendor(resp.Options, room)
}

// dhcpOnly reports whether option code is one of DHCP's own, which RFC
// 2132 §9 ("DHCP Extensions") defines for DHCP messages alone: requested
// address to client identifier (50-61, the client identifier echoed by RFC
// 6842 included), TFTP server name and boot file name (66, 67: BOOTP has
// sname and file).
func dhcpOnly(code uint8) bool {
	return code >= 50 && code <= 61 || code == 66 || code == 67
}

// vendorFirst are the options a BOOTP client needs most, kept first when
// the vendor area is too small for all: the subnet mask, routers and DNS
// servers (what ISC dhcpd puts first too), the root path, which a diskless
// BOOTP client (what RFC 951 was made for) cannot boot without, and the
// host name, which a client can also look up by its address (bootpc
// does). The others follow in code order.
var vendorFirst = []uint8{1, 3, 6, 17, 12}

// fitVendor leaves out of opts the options that do not fit, after the
// RFC 1497 cookie and before End, in a vendor area of room octets, trying
// them in the order of vendorFirst, then by code, each in turn (a small
// one may fit where a larger one did not). An echoed option 82 stays
// (RFC 3046 §2.2) and takes its room first. It returns the codes left out.
func fitVendor(opts dhcpv4.Options, room int) (left []uint8) {
	used := len(rfc1497Cookie) + 1 // and End
	if v, ok := opts[dhcpv4.OptionRelayAgentInformation.Code()]; ok {
		used += encodedSize(len(v))
	}
	order := append([]uint8(nil), vendorFirst...)
	for _, c := range slices.Sorted(maps.Keys(opts)) {
		if !slices.Contains(vendorFirst, c) && c != dhcpv4.OptionRelayAgentInformation.Code() {
			order = append(order, c)
		}
	}
	for _, c := range order {
		v, ok := opts[c]
		if !ok {
			continue
		}
		if n := encodedSize(len(v)); used+n <= room {
			used += n
			continue
		}
		delete(opts, c)
		left = append(left, c)
	}
	return left
}

// encodedSize is the octets an option of n octets takes: code and length
// for every piece of at most 255 (RFC 3396), and the value.
func encodedSize(n int) int {
	return n + 2*max(1, (n+254)/255)
}

// The BOOTP message of RFC 951 §3: 236 octets of fixed fields (op to
// file), then the 64-octet vendor area, 300 octets in all.
const (
	vendorOffset = 236
	bootpMinLen  = 300
)

// rfc1497Cookie opens a vendor area of RFC 1497's tagged format (99.130.83.99),
// the one DHCP's options keep.
var rfc1497Cookie = []byte{99, 130, 83, 99}

// foreignVendor reads a BOOTREQUEST whose vendor area does not start with
// the RFC 1497 cookie: zeros (RFC 951 leaves the area to the vendor, and
// clients with nothing to say send none) or a vendor's own format. The
// codec refuses those, so foreignVendor returns a copy of the fixed fields
// with an RFC 1497 area holding only End, for the decision to read; ok is
// false for every other packet.
func foreignVendor(pkt []byte) ([]byte, bool) {
	if len(pkt) < vendorOffset+len(rfc1497Cookie) || pkt[0] != byte(dhcpv4.OpcodeBootRequest) ||
		bytes.Equal(pkt[vendorOffset:vendorOffset+4], rfc1497Cookie) {
		return nil, false
	}
	out := make([]byte, bootpMinLen)
	copy(out, pkt[:vendorOffset])
	copy(out[vendorOffset:], append(rfc1497Cookie[:4:4], byte(dhcpv4.OptionEnd)))
	return out, true
}

// echoVendor gives reply, a BOOTREPLY as the codec wrote it, the vendor
// area of req, the request foreignVendor read, in place of pxed's options:
// the client reads that area in a format pxed does not know, so it gets
// back what it sent and no RFC 1497 options it would misread, as ISC
// dhcpd answers such clients. The reply is RFC 951's 300 octets.
func echoVendor(reply, req []byte) []byte {
	out := make([]byte, bootpMinLen)
	copy(out, reply[:min(len(reply), vendorOffset)])
	if len(req) > vendorOffset {
		copy(out[vendorOffset:], req[vendorOffset:])
	}
	return out
}
