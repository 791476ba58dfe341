package dhcp

import (
	"net"
	"net/netip"

	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/pxe"
)

// facts are what DHCP knows of the machine, for templates rendered into
// the reply: those the profile service knows of it when its loader asks
// for its config (profile.Service.facts), but for the loader's own
// (console, HTTP base, callback URL).
func (t *turn) facts(yiaddr netip.Addr) cmdline.Facts {
	f := cmdline.Facts{
		MAC:  net.HardwareAddr(t.req.ClientHWAddr).String(),
		UUID: pxe.UUIDString(t.pxe.UUID),
	}
	if s := t.in.ServerIP; s.IsValid() {
		f.Server, f.ServerHost = s.String(), s.String()
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
