package dhcp6

import (
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"net"

	"github.com/insomniacslk/dhcp/dhcpv6"
)

// wrap puts m in a Relay-reply for each relay it came through, innermost
// first (RFC 8415 §19.3): each with the hop count, link-address and
// peer-address of its Relay-forward, and its Interface-Id option copied
// (§21.18: the server MUST copy it), so that every relay can send the
// reply on towards the client.
func wrap(m *dhcpv6.Message, relays []*dhcpv6.RelayMessage) dhcpv6.DHCPv6 {
	var out dhcpv6.DHCPv6 = m
	for i := len(relays) - 1; i >= 0; i-- {
		fw := relays[i]
		rr := &dhcpv6.RelayMessage{
			MessageType: dhcpv6.MessageTypeRelayReply, HopCount: fw.HopCount,
			LinkAddr: fw.LinkAddr, PeerAddr: fw.PeerAddr,
		}
		if iid := fw.Options.GetOne(dhcpv6.OptionInterfaceID); iid != nil {
			rr.Options.Add(iid)
		}
		rr.Options.Add(dhcpv6.OptRelayMessage(out))
		out = rr
	}
	return out
}

// relayHeader is a Relay-forward's fixed part: type, hop count,
// link-address, peer-address (RFC 8415 §9).
const relayHeader = 34

// nesting counts the Relay-forward headers around the client message in a
// raw datagram, up to limit+1, without parsing the rest: the codec parses
// nested relays recursively, so a datagram nested deeper than RFC 8415's
// HOP_COUNT_LIMIT is refused before it is parsed at all.
func nesting(pkt []byte, limit int) int {
	n := 0
	for len(pkt) >= relayHeader && (pkt[0] == byte(dhcpv6.MessageTypeRelayForward) || pkt[0] == byte(dhcpv6.MessageTypeRelayReply)) {
		n++
		if n > limit {
			return n
		}
		inner, ok := relayMsg(pkt[relayHeader:])
		if !ok {
			return n
		}
		pkt = inner
	}
	return n
}

// relayMsg finds the Relay Message option (9) among raw options.
func relayMsg(opts []byte) ([]byte, bool) {
	for len(opts) >= 4 {
		code, l := binary.BigEndian.Uint16(opts), int(binary.BigEndian.Uint16(opts[2:]))
		if 4+l > len(opts) {
			return nil, false
		}
		if code == uint16(dhcpv6.OptionRelayMsg) {
			return opts[4 : 4+l], true
		}
		opts = opts[4+l:]
	}
	return nil, false
}

// relayAttrs are the log attributes of a relayed message's relay nearest
// the client: its link-address, the Interface-Id it added (RFC 8415
// §21.18) and the client link-layer address (option 79, RFC 6939), each
// when present, and how many relays the message came through.
func relayAttrs(msg dhcpv6.DHCPv6) []slog.Attr {
	var near *dhcpv6.RelayMessage
	hops := 0
	for m := msg; m != nil && m.IsRelay(); hops++ {
		rm, ok := m.(*dhcpv6.RelayMessage)
		if !ok {
			break
		}
		near, m = rm, rm.Options.RelayMessage()
	}
	if near == nil {
		return nil
	}
	attrs := []slog.Attr{slog.Int("relays", hops), slog.String("link", near.LinkAddr.String())}
	if iid := near.Options.InterfaceID(); iid != nil {
		attrs = append(attrs, slog.String("interface_id", printable(iid)))
	}
	if ht, lla := near.Options.ClientLinkLayerAddress(); lla != nil {
		attrs = append(attrs, slog.String("client_lla", ht.String()+" "+net.HardwareAddr(lla).String()))
	}
	return attrs
}

// printable is b as text when it is printable ASCII (an interface name, as
// relays usually send), else in hex.
func printable(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return hex.EncodeToString(b)
		}
	}
	return string(b)
}
