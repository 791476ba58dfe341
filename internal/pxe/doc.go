// Package pxe classifies network-boot clients from their DHCP options
// (60 vendor class, 77 user class, 93 architecture, 94 network interface id,
// 97 machine UUID, 175 iPXE encapsulated options) and holds, as pure
// functions, the parts of the boot decision that depend on the client alone:
// the boot file for an architecture (Boot.FileFor) and the URL a UEFI HTTP
// Boot client is given (PXE 2.1, RFC 4578). Which Boot a machine gets is the
// catalog's decision. MACKey is a client's hardware address as a map key,
// shared by the DHCP rate limiter and the profile service.
package pxe
