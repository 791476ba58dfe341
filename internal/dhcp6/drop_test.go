package dhcp6

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv6"
)

// TestDrops: each kind of message pxed does not serve is dropped with its
// kind of reason, from the raw datagram on, as the server does it.
func TestDrops(t *testing.T) {
	t.Parallel()
	st := llClient(station01)
	solicit := st.msg(dhcpv6.MessageTypeSolicit, st.ia())
	relay := func(m dhcpv6.DHCPv6, link, peer string) []byte {
		r, err := dhcpv6.EncapsulateRelay(m, dhcpv6.MessageTypeRelayForward, net.ParseIP(link), net.ParseIP(peer))
		if err != nil {
			t.Fatal(err)
		}
		return r.ToBytes()
	}
	many := func(n int, o func(int) dhcpv6.Option) []dhcpv6.Option {
		var out []dhcpv6.Option
		for i := range n {
			out = append(out, o(i))
		}
		return out
	}
	iaN := func(i int) dhcpv6.Option {
		return &dhcpv6.OptIANA{IaId: [4]byte{0, 0, 0, byte(i)}}
	}
	addrs := make([]string, maxIAAddrs+1)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("2001:db8:1::%x", 0x1000+i)
	}
	// relayHdr is a Relay-forward header with a Relay Message option of
	// length n that the datagram may not hold.
	relayHdr := func(n int) []byte {
		b := make([]byte, 34, 38)
		b[0] = byte(dhcpv6.MessageTypeRelayForward)
		copy(b[2:], net.ParseIP("2001:db8:1::1"))
		copy(b[18:], net.ParseIP("fe80::1"))
		return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, uint16(dhcpv6.OptionRelayMsg)), uint16(n))
	}
	deep := solicit.ToBytes()
	for range HopCountLimit + 1 {
		deep = relay(mustParse(t, deep), "2001:db8:1::1", "fe80::1")
	}
	tests := []struct {
		name string
		pkt  []byte
		in   Ingress
		want Drop
	}{
		{"three octets", []byte{1, 0, 0}, in, DropShort},
		{"option length past the end", append(st.msg(dhcpv6.MessageTypeSolicit).ToBytes(), 0, 3, 0, 200, 1), in, DropMalformed},
		{"truncated Relay-forward header", relay(solicit, "2001:db8:1::1", "fe80::1")[:20], in, DropMalformed},
		{"Relay Message option past the end", relayHdr(500), in, DropMalformed},
		{"nested beyond HOP_COUNT_LIMIT", deep, in, DropRelayHops},
		{"relayed with a multicast peer-address", relay(solicit, "2001:db8:1::1", "ff02::1"), in, DropBadRelay},
		{"relayed with an unspecified peer-address", relay(solicit, "2001:db8:1::1", "::"), in, DropBadRelay},
		{"relayed with a loopback peer-address", relay(solicit, "2001:db8:1::1", "::1"), in, DropBadRelay},
		{"relayed with an IPv4-mapped peer-address", relay(solicit, "2001:db8:1::1", "::ffff:192.0.2.1"), in, DropBadRelay},
		{"relayed with a multicast link-address", relay(solicit, "ff05::1:3", "fe80::1"), in, DropBadRelay},
		{"relayed without a link-address", relay(solicit, "::", "fe80::1"), in, DropNoLink},
		{"a Relay-reply", bytes.Replace(relay(solicit, "2001:db8:1::1", "fe80::1"), []byte{12}, []byte{13}, 1), in, DropNotForServer},
		{"an Advertise", st.msg(dhcpv6.MessageTypeAdvertise, serverID()).ToBytes(), in, DropNotForServer},
		{"a Reply relayed", relay(st.msg(dhcpv6.MessageTypeReply, serverID()), "2001:db8:1::1", "fe80::1"), in, DropNotForServer},
		{"message type 200", append([]byte{200, 1, 2, 3}, st.msg(dhcpv6.MessageTypeSolicit).ToBytes()[4:]...), in, DropNotForServer},
		{"Solicit without a Client Identifier", (&dhcpv6.Message{MessageType: dhcpv6.MessageTypeSolicit}).ToBytes(), in, DropInvalid},
		{"Request for another server", st.msg(dhcpv6.MessageTypeRequest, st.ia()).ToBytes(), in, DropInvalid},
		{"Solicit with 1,000 IA_NA", st.msg(dhcpv6.MessageTypeSolicit, many(1000, iaN)...).ToBytes(), in, DropTooManyIAs},
		{fmt.Sprintf("IA_NA with %d addresses", len(addrs)), st.msg(dhcpv6.MessageTypeRebind, st.ia(addrs...)).ToBytes(), in, DropTooManyIAs},
		{"Solicit by unicast", solicit.ToBytes(), Ingress{Iface: "br0", Addr: serverAddr, Unicast: true}, DropUnicast},
		{"no subnet for the link", solicit.ToBytes(), Ingress{Iface: "br1", Addr: netip.MustParseAddr("2001:db8:9::1")}, DropNoSubnet},
		{"a good Solicit", solicit.ToBytes(), in, NotDropped},
	}
	f := newFixture(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NotDropped
			if rj := parseable(tt.pkt); !rj.ok() {
				got = rj.kind
			} else if msg, err := dhcpv6.FromBytes(tt.pkt); err != nil {
				got = DropMalformed
			} else if _, err := msg.GetInnerMessage(); err != nil {
				got = DropMalformed
			} else {
				d := f.r.Respond(msg, tt.in)
				if (d.Reply == nil) != (d.Drop != NotDropped) {
					t.Fatalf("reply %v with drop %s (%s)", d.Reply != nil, d.Drop, d.Reason)
				}
				got = d.Drop
			}
			if got != tt.want {
				t.Errorf("dropped as %s, want %s", got, tt.want)
			}
		})
	}
}

func mustParse(t *testing.T, b []byte) dhcpv6.DHCPv6 {
	t.Helper()
	m, err := dhcpv6.FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDropNames(t *testing.T) {
	t.Parallel()
	seen := map[string]Drop{}
	for _, d := range Drops() {
		n := d.String()
		if o, dup := seen[n]; dup || n == "" || n == NotDropped.String() {
			t.Errorf("drop %d is named %q (as %d)", d, n, o)
		}
		seen[n] = d
	}
}
