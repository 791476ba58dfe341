// Package wol wakes machines with the Wake-on-LAN magic packet (AMD,
// "Magic Packet Technology", publication 20213, 1995): six bytes of 0xFF,
// then the target's MAC address sixteen times, optionally followed by a
// SecureOn password of four or six bytes.
//
// Packet builds the packet and Parse reads one back (what a test captures
// on the wire). Sender sends it as a UDP datagram to the directed
// broadcast address of the machine's subnet, port 9 (discard); see Sender
// for why pxed does not send a raw Ethernet frame (EtherType 0x0842).
package wol
