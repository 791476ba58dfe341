package pxe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Option codes read or written by PXE clients and servers.
const (
	OptVendorClass  = 60  // RFC 2132 §9.13; "PXEClient:Arch:xxxxx:UNDI:yyyzzz" (PXE 2.1 §2.2.1)
	OptUserClass    = 77  // RFC 3004; iPXE sends "iPXE"
	OptClientArch   = 93  // RFC 4578 §2.1
	OptClientNDI    = 94  // RFC 4578 §2.2
	OptClientUUID   = 97  // RFC 4578 §2.3
	OptIPXEEncap    = 175 // iPXE's encapsulated options
	OptTFTPServer   = 66  // RFC 2132 §9.4
	OptBootfileName = 67  // RFC 2132 §9.5
)

// Client is what a DHCP request tells about a network-boot client.
type Client struct {
	// PXE: option 60 starts with "PXEClient" (PXE 2.1 §2.2.1).
	PXE bool
	// HTTP: option 60 starts with "HTTPClient" (UEFI 2.5+ HTTP Boot).
	HTTP bool
	// IPXE: the client is already iPXE (user class "iPXE" or option 175 present).
	IPXE bool
	// Arch is option 93; HasArch says whether the client sent it.
	Arch    Arch
	HasArch bool
	// UUID is the 16-byte machine identifier of option 97 (type 0), nil if absent or malformed.
	UUID []byte
	// VendorClass is option 60 as sent.
	VendorClass string
}

// Classify reads a client's network-boot identity from a request's options
// (code → value, as the DHCP codec holds them).
func Classify(o map[uint8][]byte) Client {
	var c Client
	c.VendorClass = string(o[OptVendorClass])
	c.PXE = strings.HasPrefix(c.VendorClass, "PXEClient")
	c.HTTP = strings.HasPrefix(c.VendorClass, "HTTPClient")
	// RFC 4578 §2.1: a list of 16-bit types; the first is the one in use.
	if a := o[OptClientArch]; len(a) >= 2 {
		c.Arch, c.HasArch = Arch(binary.BigEndian.Uint16(a)), true
	} else if c.PXE || c.HTTP {
		// Some ROMs send no option 93; their option 60 carries "Arch:xxxxx".
		c.Arch, c.HasArch = archFromVendorClass(c.VendorClass)
	}
	// RFC 4578 §2.3: type 0 followed by a 16-byte UUID.
	if u := o[OptClientUUID]; len(u) == 17 && u[0] == 0 {
		c.UUID = bytes.Clone(u[1:])
	}
	_, encap := o[OptIPXEEncap]
	c.IPXE = encap || hasUserClass(o[OptUserClass], "iPXE")
	return c
}

func archFromVendorClass(vc string) (Arch, bool) {
	_, rest, ok := strings.Cut(vc, ":Arch:")
	if !ok || len(rest) < 5 {
		return 0, false
	}
	var n uint16
	if _, err := fmt.Sscanf(rest[:5], "%05d", &n); err != nil {
		return 0, false
	}
	return Arch(n), true
}

// hasUserClass looks for name in option 77. RFC 3004 encodes it as
// length-prefixed entries; iPXE (and other clients) send the bare string,
// so both are accepted.
func hasUserClass(v []byte, name string) bool {
	if string(v) == name {
		return true
	}
	for len(v) > 0 {
		n := int(v[0])
		if n == 0 || 1+n > len(v) {
			return false
		}
		if string(v[1:1+n]) == name {
			return true
		}
		v = v[1+n:]
	}
	return false
}

// UUIDString formats a UUID as PXELINUX looks it up (pxelinux.cfg/<uuid>):
// lower case, 8-4-4-4-12.
func UUIDString(u []byte) string {
	if len(u) != 16 {
		return ""
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Boot is where clients find their boot programs.
type Boot struct {
	// NextServer is the TFTP server; invalid means "the address pxed answers from".
	NextServer netip.Addr
	// File is given to architectures without an entry in Files.
	File string
	// Files by architecture family.
	Files map[Arch]string
	// Image: UEFI HTTP Boot clients get a RAM-disk image pxed builds around
	// their boot file (ImagePath) instead of the boot file itself.
	Image bool
	// HTTPS makes the URLs of boot root paths given to UEFI HTTP Boot
	// clients https:// ones, of pxed's HTTPS server.
	HTTPS bool
	// SecureBootOff: the machines are said not to enforce Secure Boot
	// (boot.secure_boot: false, said, not left out). IPXE is where pxed
	// serves iPXE's x64 UEFI build ("" when it serves none). With both,
	// x64 UEFI PXE clients are given that iPXE (FileFor).
	SecureBootOff bool
	IPXE          string
}

// FileFor chooses the boot file for architecture a: its family's entry, else
// the default file. A UEFI HTTP Boot architecture gets its own entry only:
// the default file is a TFTP path for PXE clients, and an HTTP Boot client
// given it would fetch a loader built for another firmware.
//
// An x64 UEFI PXE client (option 93 = 7 or 9, RFC 4578 §2.1) of machines
// said to have Secure Boot off gets iPXE, when pxed serves it, instead of
// its loader: iPXE asks DHCP again, as iPXE, and fetches its script, kernel
// and initrds over HTTP, where GRUB reads them over lock-step TFTP. Only
// when said: DHCP does not tell whether Secure Boot is on, and a Secure
// Boot machine refuses the unsigned iPXE. (Debian 12's GRUB cannot chain
// iPXE instead: it holds the NIC's SNP open exclusively, docs/firmware.md.)
func (b Boot) FileFor(a Arch) string {
	if a.Family() == ArchX64UEFI && b.SecureBootOff && b.IPXE != "" {
		return b.IPXE
	}
	if f, ok := b.Files[a.Family()]; ok {
		return f
	}
	if a.HTTP() {
		return ""
	}
	return b.File
}

// HTTPBootURL is the boot file a UEFI HTTP Boot client is given: a URI
// (UEFI specification since 2.5, section "HTTP Boot": option 60
// "HTTPClient" and the boot file URI in the file field or option 67). EDK2's
// HttpBootDxe drops an HTTPClient offer whose boot file does not parse as a
// URL, so a path alone is never sent. A file that is already a URL is given
// as it is; a path of the boot root is served by pxed's HTTP server on port
// port of server, over HTTPS when secure. "" when there is no URL to give:
// no file, or a path while pxed serves no HTTP (or HTTPS): port 0.
func HTTPBootURL(file string, server netip.Addr, port int, secure bool) string {
	switch {
	case file == "":
		return ""
	case IsURL(file):
		return file
	case port <= 0 || !server.IsValid():
		return ""
	}
	scheme := "http://"
	if secure {
		scheme = "https://"
	}
	return scheme + netip.AddrPortFrom(urlHost(server), uint16(port)).String() + "/" + strings.TrimLeft(file, "/")
}

// TFTPURL is the boot file URL a DHCPv6 PXE client is given in option 59
// (RFC 5970 §3.1: a URL, as DHCPv6 has no siaddr and file fields):
// tftp://[2001:db8:1::21]/path for an IPv6 server, tftp://192.168.1.21/path
// for an IPv4 one; the literal is bracketed as RFC 3986 §3.2.2 asks. A file
// that is already a URL (tftp://, http://, https://) is given as it is; ""
// when there is no file or no server.
func TFTPURL(server netip.Addr, file string) string {
	switch {
	case file == "":
		return ""
	case IsURL(file) || strings.HasPrefix(strings.ToLower(file), "tftp://"):
		return file
	case !server.IsValid():
		return ""
	}
	host := urlHost(server).String()
	if server.Is6() && !server.Is4In6() {
		host = "[" + host + "]"
	}
	return "tftp://" + host + "/" + strings.TrimLeft(file, "/")
}

// urlHost is server as a URL names it: an IPv4-mapped address as IPv4, and
// without a zone. A zone names an interface of pxed's host and means
// nothing to the client (which reaches a link-local server through its own
// interface); RFC 6874's "%25" form is not understood by firmware.
func urlHost(server netip.Addr) netip.Addr {
	return server.Unmap().WithZone("")
}

// IsURL reports whether a boot file is an http:// or https:// URL rather
// than a path under the boot root.
func IsURL(file string) bool {
	l := strings.ToLower(file)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// Wants reports whether a client should be given boot information: it is a
// PXE or HTTP boot client, it sent an architecture, or it asked for a boot
// file name (option 67) in its parameter request list.
func (c Client) Wants(requested func(code uint8) bool) bool {
	return c.PXE || c.HTTP || c.HasArch || requested(OptBootfileName)
}
