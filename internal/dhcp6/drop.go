package dhcp6

import (
	"fmt"
	"net/netip"
	"sync/atomic"
)

// Drop is the kind of reason a datagram gets no reply: a fixed set, so
// that a log line or a counter says it by name and the detail goes beside
// it. The zero value is no drop: the message was served (answered, or,
// with its lease not recorded, left for the client to send again).
type Drop uint8

const (
	NotDropped Drop = iota
	// DropShort: shorter than the 4-octet header of a client message
	// (RFC 8415 §8).
	DropShort
	// DropMalformed: the codec refused it (an option running past the
	// end, a truncated relay header, a bad option body).
	DropMalformed
	// DropRelayHops: nested in more Relay-forward messages than RFC 8415's
	// HOP_COUNT_LIMIT (32, §7.6, §19.1.1).
	DropRelayHops
	// DropBadRelay: a Relay-forward that no relay could have sent: no Relay
	// Message option, or a peer-address or link-address that is not a
	// unicast address (§19.1.1: the peer-address is the source address of
	// the client or relay it came from).
	DropBadRelay
	// DropNotForServer: a message type servers do not take (Advertise,
	// Reply, Relay-reply, Reconfigure, or unknown, §7.3).
	DropNotForServer
	// DropInvalid: fails the validation of RFC 8415 §16 (identifiers
	// missing or for another server, an IA in an Information-request, a
	// DUID of an impossible length, a Confirm with no address).
	DropInvalid
	// DropTooManyIAs: more IA_NA options, or addresses in one, than pxed
	// serves in one message (maxIAs, maxIAAddrs): each costs an
	// allocation, a commit and reply space.
	DropTooManyIAs
	// DropUnicast: a Solicit, Confirm, Rebind or Information-request sent
	// by unicast, which pxed never allows (§18.4).
	DropUnicast
	// DropNoLink: pxed cannot tell the client's link (relayed without a
	// link-address, or received on an interface without a global address).
	DropNoLink
	// DropNoSubnet: no dhcp6 subnet for the client's link.
	DropNoSubnet
	// DropRateLimited: over the per-client rate limit (dhcp6.rate_per_client).
	DropRateLimited
	// DropGlobalLimited: an unknown client over the global limit
	// (dhcp6.rate_global).
	DropGlobalLimited
)

var dropNames = [...]string{
	NotDropped:        "none",
	DropShort:         "short",
	DropMalformed:     "malformed",
	DropRelayHops:     "relay-hops",
	DropBadRelay:      "bad-relay",
	DropNotForServer:  "not-for-server",
	DropInvalid:       "invalid",
	DropTooManyIAs:    "too-many-ias",
	DropUnicast:       "unicast",
	DropNoLink:        "no-link",
	DropNoSubnet:      "no-subnet",
	DropRateLimited:   "rate-client",
	DropGlobalLimited: "rate-global",
}

func (d Drop) String() string {
	if int(d) < len(dropNames) {
		return dropNames[d]
	}
	return fmt.Sprintf("drop(%d)", uint8(d))
}

// Drops lists every kind of drop, in order: for counters that start at 0.
func Drops() []Drop {
	out := make([]Drop, 0, len(dropNames)-1)
	for d := DropShort; int(d) < len(dropNames); d++ {
		out = append(out, d)
	}
	return out
}

// DropCounts counts the datagrams dropped, by kind.
type DropCounts struct{ n [len(dropNames)]atomic.Uint64 }

func (c *DropCounts) add(d Drop) {
	if int(d) < len(c.n) {
		c.n[d].Add(1)
	}
}

// Load is how many datagrams were dropped for kind d.
func (c *DropCounts) Load(d Drop) uint64 {
	if int(d) < len(c.n) {
		return c.n[d].Load()
	}
	return 0
}

// rejection is why a message is not served: its kind and, for a person,
// the detail. The zero value is no rejection.
type rejection struct {
	kind Drop
	why  string
}

func reject(kind Drop, format string, a ...any) rejection {
	return rejection{kind: kind, why: fmt.Sprintf(format, a...)}
}

func (r rejection) ok() bool { return r.kind == NotDropped }

// decision is the Decision of a message not served.
func (r rejection) decision() Decision { return Decision{Drop: r.kind, Reason: r.why} }

// relayAddrs checks a Relay-forward's addresses (RFC 8415 §19.1.1): the
// peer-address is the address the relay received the message from, a
// client's or a relay's, so a unicast address (link-local or global); the
// link-address is unspecified or an address of the relay's, never
// multicast. A Relay-reply goes back to the peer-address: a multicast one
// would have the relay send pxed's reply to a whole link.
func relayAddrs(peer, link []byte) rejection {
	p, ok := netip.AddrFromSlice(peer)
	if !ok || !p.Is6() || p.Is4In6() || !(p.IsLinkLocalUnicast() || p.IsGlobalUnicast()) {
		return reject(DropBadRelay, "Relay-forward peer-address %v is not a client's or relay's unicast address", ipString(peer))
	}
	l, ok := netip.AddrFromSlice(link)
	if !ok || !l.Is6() || l.Is4In6() || l.IsMulticast() || l.IsLoopback() {
		return reject(DropBadRelay, "Relay-forward link-address %v is not unspecified or a unicast address", ipString(link))
	}
	return rejection{}
}

func ipString(b []byte) string {
	if a, ok := netip.AddrFromSlice(b); ok {
		return a.String()
	}
	return fmt.Sprintf("%x", b)
}

// parseable is what is checked of a raw datagram before the codec parses
// it: a header (RFC 8415 §8: type and transaction ID, 4 octets), and no
// deeper relay nesting than HOP_COUNT_LIMIT, since the codec parses nested
// relays recursively.
func parseable(pkt []byte) rejection {
	if len(pkt) < 4 {
		return reject(DropShort, "%d bytes", len(pkt))
	}
	if nesting(pkt, HopCountLimit) > HopCountLimit {
		return reject(DropRelayHops, "relayed through more than %d relays", HopCountLimit)
	}
	return rejection{}
}
