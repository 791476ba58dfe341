// Package pxe classifies network-boot clients from their DHCP options
// (60 vendor class, 77 user class, 93 architecture, 94 network interface id,
// 97 machine UUID, 175 iPXE encapsulated options) and decides, as pure
// functions, which boot file and server a client is given (PXE 2.1, RFC 4578).
package pxe
