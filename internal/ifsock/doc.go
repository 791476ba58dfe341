// Package ifsock opens the sockets of pxed's DHCP servers, DHCPv4 and
// DHCPv6 alike: one UDP socket per served interface, bound to it
// (SO_BINDTODEVICE), so that each interface has its own socket and replies
// leave where requests came in. Binding to a device is Linux's: elsewhere
// ListenUDP fails with an error wrapping errors.ErrUnsupported.
package ifsock
