package dhcp

import (
	"net"
	"net/netip"

	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/pxe"
)

// sanRootPath is the root path (option 17, RFC 2132 §3.19) of a machine
// whose profile boots from an iSCSI target (config.SAN): the target
// rendered for it, an RFC 4173 iSCSI root path, which firmware with an
// iSCSI client of its own reads, and which iPXE attaches before it runs
// its boot file (see profile.ipxeSAN). "" for any other machine, and for
// one whose facts make no valid target (a machine without a host name for
// {{.Hostname}}): the profile's script then fails for it too, and nothing
// half-named is sent. yiaddr is the address the reply gives (invalid for
// an INFORM answer, where the client's own address is ciaddr).
//
// A host's own option 17 (hosts[].options) is added after this and wins.
func (t *turn) sanRootPath(yiaddr netip.Addr) string {
	if t.profile == nil || t.profile.SAN == nil {
		return ""
	}
	rp, err := t.profile.SAN.RootPath(t.facts(yiaddr))
	if err != nil {
		return ""
	}
	return rp
}

// facts are what DHCP knows of the machine, for templates rendered into
// the reply: those the profile service knows of it when its loader asks
// for its config (profile.Service.facts), but for the loader's own
// (console, HTTP base, callback URL).
func (t *turn) facts(yiaddr netip.Addr) cmdline.Facts {
	f := cmdline.Facts{
		MAC:        net.HardwareAddr(t.req.ClientHWAddr).String(),
		Server:     t.in.ServerIP.String(),
		ServerHost: t.in.ServerIP.String(),
		UUID:       pxe.UUIDString(t.pxe.UUID),
	}
	if !yiaddr.IsValid() {
		yiaddr = ip4(t.req.ClientIPAddr)
	}
	if yiaddr.IsValid() {
		f.IP = yiaddr.String()
	}
	if t.host != nil {
		f.Hostname = t.host.Name
	}
	if t.pxe.HasArch {
		f.Arch = t.pxe.Arch.String()
	}
	return f
}
