package dhcp6

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"
)

// MACSource says where pxed learnt a DHCPv6 client's MAC: DHCPv6 names
// clients by DUID (RFC 8415 §11), and a DUID need not hold one.
type MACSource uint8

const (
	// MACUnknown: no source gave one; the client has no machine timeline
	// and matches no host entry by MAC.
	MACUnknown MACSource = iota
	// MACRelay: the client link-layer address option (79) of the relay
	// next to the client (RFC 6939).
	MACRelay
	// MACDUID: the client's DUID-LLT or DUID-LL of hardware type 1
	// (RFC 8415 §11.2, §11.4).
	MACDUID
	// MACNeighbour: the kernel's neighbour table entry for the client's
	// source address on the receiving interface.
	MACNeighbour
	// MACLinkLocal: the interface identifier of the client's link-local
	// source address, a modified EUI-64 (RFC 4291 §2.5.1, Appendix A).
	MACLinkLocal
)

var macSourceNames = [...]string{"unknown", "relay option 79", "DUID", "neighbour table", "EUI-64 link-local"}

func (s MACSource) String() string {
	if int(s) < len(macSourceNames) {
		return macSourceNames[s]
	}
	return "unknown"
}

// Identity is what a message tells of the machine that sent it, as the
// server received it.
type Identity struct {
	// DUID is the client's Client Identifier (option 1), nil for none.
	DUID []byte
	// Relays are the Relay-forward messages around the client's message,
	// outermost first.
	Relays []*dhcpv6.RelayMessage
	// Peer is the client's address: the datagram's source for a direct
	// message, the peer-address of the relay next to the client for a
	// relayed one (RFC 8415 §19.1.1). A client sends from its link-local
	// address (§13.1).
	Peer netip.Addr
	// Neighbour is the link-layer address the kernel's neighbour table
	// holds for Peer on the receiving interface (read by the server for a
	// direct message from a link-local address); nil when it holds none.
	Neighbour net.HardwareAddr
}

// ClientMAC is the client's Ethernet address and where it came from, the
// most trustworthy first:
//  1. the relay's client link-layer address option (79, RFC 6939 §4): the
//     relay read it from the frame the client sent on this very link;
//  2. a DUID-LLT or DUID-LL of hardware type 1 (RFC 8415 §11.2, §11.4): the
//     client's own word, though a DUID-LLT may name another of its
//     interfaces (§11.2: "any one of the hardware addresses");
//  3. the kernel's neighbour table entry for the client's address: what
//     the link said when pxed's kernel resolved it;
//  4. the interface identifier of its link-local address when that is a
//     modified EUI-64 of a MAC (RFC 4291 Appendix A).
//
// 3 and 4 are for clients whose DUID holds no MAC: iPXE sends a DUID-UUID
// (type 4, RFC 6355) from SMBIOS, all zeros on a machine without one, so
// that DUID names no machine at all. iPXE and EDK2 form their link-local
// addresses from the MAC as Appendix A says, so 4 answers from the
// message alone, already for the Solicit, before pxed's kernel has
// resolved the client; the neighbour table covers clients with other
// interface identifiers (RFC 7217 stable addresses, RFC 8981 temporary
// ones) and is preferred when it has an entry, since an identifier that
// only looks like an EUI-64 (the ff:fe in the middle by chance, 1 in
// 65,536 for an opaque one, RFC 7136) would name a MAC the client does
// not have. It returns nil and MACUnknown when none applies.
func ClientMAC(id Identity) (net.HardwareAddr, MACSource) {
	if len(id.Relays) > 0 {
		ht, lla := id.Relays[len(id.Relays)-1].Options.ClientLinkLayerAddress()
		if ht == iana.HWTypeEthernet && len(lla) == 6 {
			return bytes.Clone(lla), MACRelay
		}
	}
	if mac := duidMAC(id.DUID); mac != nil {
		return mac, MACDUID
	}
	if len(id.Neighbour) == 6 && usableMAC(id.Neighbour) {
		return bytes.Clone(id.Neighbour), MACNeighbour
	}
	if mac := eui64MAC(id.Peer); mac != nil {
		return mac, MACLinkLocal
	}
	return nil, MACUnknown
}

// duidMAC is the Ethernet address in a DUID-LLT or DUID-LL of hardware
// type 1 (RFC 8415 §11.2, §11.4), else nil.
func duidMAC(duid []byte) net.HardwareAddr {
	if len(duid) < 4 || binary.BigEndian.Uint16(duid[2:]) != uint16(iana.HWTypeEthernet) {
		return nil
	}
	switch typ := binary.BigEndian.Uint16(duid); {
	case typ == uint16(dhcpv6.DUID_LLT) && len(duid) == 8+6:
		return net.HardwareAddr(bytes.Clone(duid[8:]))
	case typ == uint16(dhcpv6.DUID_LL) && len(duid) == 4+6:
		return net.HardwareAddr(bytes.Clone(duid[4:]))
	}
	return nil
}

// eui64MAC is the MAC a link-local address was formed from, when its
// interface identifier is a modified EUI-64 of one (RFC 4291 §2.5.1,
// Appendix A): the 48-bit MAC with ff:fe inserted between its third and
// fourth octets and the universal/local bit (0x02 of the first octet)
// inverted. Only link-local addresses (fe80::/64, §2.5.6) are read: a
// client sends from one (RFC 8415 §13.1), and its link is the one the
// reservation is for.
func eui64MAC(a netip.Addr) net.HardwareAddr {
	if !a.Is6() || !a.IsLinkLocalUnicast() {
		return nil
	}
	b := a.As16()
	if [6]byte(b[2:8]) != ([6]byte{}) || b[11] != 0xff || b[12] != 0xfe {
		return nil
	}
	mac := net.HardwareAddr{b[8] ^ 0x02, b[9], b[10], b[13], b[14], b[15]}
	if !usableMAC(mac) {
		return nil
	}
	return mac
}

// usableMAC reports whether mac can be a NIC's own address: not a group
// address (I/G bit, 0x01 of the first octet) and not all zeros.
func usableMAC(mac net.HardwareAddr) bool {
	return mac[0]&0x01 == 0 && !bytes.Equal(mac, make([]byte, len(mac)))
}
