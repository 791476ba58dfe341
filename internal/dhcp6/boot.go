package dhcp6

import (
	"github.com/insomniacslk/dhcp/dhcpv6"

	"github.com/pxed/pxed/internal/pxe"
)

// bootOptions adds the network-boot options of RFC 5970 for a client that
// wants them: one that asks for the Boot File URL option (59) in its
// Option Request option, or sends a client architecture (option 61) or a
// PXEClient or HTTPClient vendor class (RFC 5970 §3: the server sends them
// to clients that request them; firmware that sends option 61 expects
// them). The boot file is the catalog's choice for the client's
// architecture, as for DHCPv4, given as a URL (§3.1):
//   - a UEFI HTTP Boot client (vendor class HTTPClient) gets an http:// or
//     https:// URL of pxed's HTTP boot server and its vendor class echoed
//     with "HTTPClient": EDK2's HttpBootDxe takes an Advertise as an HTTP
//     Boot offer only with that class in it;
//   - an iPXE client gets its generated script's URL (http.ipxe_script);
//   - any other gets tftp://[address]/file, the form EDK2's PXE client
//     parses (an IPv6 literal in brackets, RFC 5970 §3.1).
//
// No boot-file parameters (option 60) are sent: the loaders pxed serves
// find their configs themselves. Without an address of pxed's to name
// (the interface has no global address) no URL is given.
func (t *turn) bootOptions(resp *dhcpv6.Message, oro dhcpv6.OptionCodes) {
	if !(oro.Contains(dhcpv6.OptionBootfileURL) || t.pxe.HasArch || t.pxe.PXE || t.pxe.HTTP) {
		return
	}
	server := t.in.Addr
	if !server.IsValid() {
		return
	}
	file := t.boot.FileFor(t.pxe.Arch)
	var script string
	if t.pxe.IPXE && t.r.IPXEScript != nil && t.mac != nil {
		script = t.r.IPXEScript(t.mac, server)
	}
	var url string
	switch {
	case t.pxe.HTTP:
		if t.boot.Image && file != "" && !pxe.IsURL(file) && t.mac != nil {
			// boot.http_image: the image pxed builds around the file.
			file = pxe.ImagePath(t.pxe.Arch, t.mac)
		}
		port := t.plan.httpPort
		if t.boot.HTTPS {
			port = t.plan.httpsPort
		}
		if url = pxe.HTTPBootURL(file, server, port, t.boot.HTTPS); url == "" {
			return
		}
		resp.AddOption(&dhcpv6.OptVendorClass{EnterpriseNumber: t.enterprise, Data: [][]byte{[]byte("HTTPClient")}})
	case script != "":
		url = script
	default:
		if url = pxe.TFTPURL(server, file); url == "" {
			return
		}
	}
	resp.AddOption(dhcpv6.OptBootFileURL(url))
}
