package pxe

import "net"

// MACKey is a client's hardware address (the chaddr field, up to 16 bytes)
// as a comparable value: a map key that costs no allocation on the DHCP
// path, where the string of a net.HardwareAddr would cost one per packet.
type MACKey struct {
	n uint8
	b [16]byte
}

// KeyOf returns the key of mac; bytes past the 16th are ignored.
func KeyOf(mac []byte) MACKey {
	var k MACKey
	k.n = uint8(copy(k.b[:], mac))
	return k
}

// HardwareAddr returns the address, in a slice of its own.
func (k MACKey) HardwareAddr() net.HardwareAddr {
	return append(net.HardwareAddr(nil), k.b[:k.n]...)
}
