package probe

import (
	"net"
	"net/netip"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// echoReply reads an ICMP message from from: an echo reply to one of our
// requests (identifier id) answers for from's address.
func echoReply(b []byte, from net.Addr, id int) (Answer, bool) {
	m, err := icmp.ParseMessage(1, b) // 1: ICMP for IPv4
	if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
		return Answer{}, false
	}
	e, ok := m.Body.(*icmp.Echo)
	if !ok || e.ID != id {
		return Answer{}, false
	}
	ipa, ok := from.(*net.IPAddr)
	if !ok {
		return Answer{}, false
	}
	ip, ok := netip.AddrFromSlice(ipa.IP)
	if !ok {
		return Answer{}, false
	}
	return Answer{IP: ip.Unmap()}, true
}
