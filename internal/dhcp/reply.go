package dhcp

import (
	"net"
	"net/netip"
	"slices"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/pxe"
)

// reply builds an OFFER or ACK for yiaddr (invalid for an INFORM answer).
// Options are those of RFC 2132 that pxed sets, then the subnet's, then the
// host's; a later one with the same code replaces an earlier one.
func (t *turn) reply(mt dhcpv4.MessageType, yiaddr netip.Addr) *dhcpv4.DHCPv4 {
	resp := t.newReply()
	resp.UpdateOption(dhcpv4.OptMessageType(mt))
	resp.UpdateOption(dhcpv4.OptServerIdentifier(t.in.ServerIP.AsSlice()))
	if mt == dhcpv4.MessageTypeAck {
		resp.ClientIPAddr = t.req.ClientIPAddr // RFC 2131 Table 3
	}
	if yiaddr.IsValid() {
		resp.YourIPAddr = yiaddr.AsSlice()
		// RFC 2132 §9.2, §9.11, §9.12; T1 and T2 at the defaults of RFC 2131 §4.4.5.
		// Encoded once per subnet (plan.go).
		resp.Options[dhcpv4.OptionIPAddressLeaseTime.Code()] = t.sub.enc.leaseTime
		resp.Options[dhcpv4.OptionRenewTimeValue.Code()] = t.sub.enc.renew
		resp.Options[dhcpv4.OptionRebindingTimeValue.Code()] = t.sub.enc.rebind
	}
	resp.Options[dhcpv4.OptionSubnetMask.Code()] = t.sub.enc.mask
	if t.host != nil && t.host.Name != "" {
		resp.UpdateOption(dhcpv4.OptHostName(t.host.Name))
	}
	for _, o := range t.sub.options {
		resp.Options[o.code] = o.value
	}
	// RFC 2132 §3.19: the root path of the machine's profile, over the
	// subnet's option 17; a host's own options, below, still win.
	if rp := t.rootPath(yiaddr); rp != "" {
		resp.UpdateOption(dhcpv4.OptRootPath(rp))
	}
	if t.host != nil {
		for _, o := range t.host.RawOptions() {
			resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(o.Code), o.Value))
		}
	}
	t.bootInfo(resp)
	return resp
}

// rootPath is the machine's root path (config.RootPath) as it will be
// addressed at ip (its yiaddr, or ciaddr for an INFORM), "" for none.
// The facts are those the profile's configs are rendered with, as DHCP
// knows them: a root_path that pxed check accepted always renders; one
// that renders too long for an option is left out.
func (t *turn) rootPath(ip netip.Addr) string {
	if t.profile == nil {
		return ""
	}
	p := t.profile.ForArch(t.pxe.Arch, t.pxe.HasArch)
	f := t.facts(ip)
	f.Console = p.Console
	rp, err := config.RootPath(&p, f)
	if err != nil {
		return ""
	}
	return rp
}

// newReply starts a reply to the request as dhcpv4.NewReplyFromRequest does:
// op BOOTREPLY, htype, xid, flags, chaddr and giaddr from the request,
// option 61 copied (RFC 6842), and option 82 when a trusted relay sent it
// (the relay agent expects its option back, RFC 3046 §2.2; see Respond).
// That constructor first draws a random transaction ID (crypto/rand under a
// context with a timer) only to overwrite it: a third of the allocations of
// a reply.
func (t *turn) newReply() *dhcpv4.DHCPv4 {
	req := t.req
	resp := &dhcpv4.DHCPv4{
		OpCode: dhcpv4.OpcodeBootReply, HWType: req.HWType, TransactionID: req.TransactionID,
		Flags: req.Flags, ClientHWAddr: req.ClientHWAddr, GatewayIPAddr: req.GatewayIPAddr,
		ClientIPAddr: net.IPv4zero, YourIPAddr: net.IPv4zero, ServerIPAddr: net.IPv4zero,
		Options: make(dhcpv4.Options, 8),
	}
	if resp.GatewayIPAddr == nil {
		resp.GatewayIPAddr = net.IPv4zero
	}
	if v := req.Options.Get(dhcpv4.OptionClientIdentifier); v != nil {
		resp.Options[dhcpv4.OptionClientIdentifier.Code()] = v
	}
	if t.relayInfo != nil {
		// The codec writes option 82 last, as RFC 3046 §2.2 asks.
		resp.Options[dhcpv4.OptionRelayAgentInformation.Code()] = t.relayInfo
	}
	return resp
}

// bootInfo adds what a network-boot client needs: next-server (siaddr), the
// boot file (the BOOTP file field, and options 66/67 when asked for; for an
// iPXE client with http.ipxe_script, its script's URL), and for iPXE option
// 60 "PXEClient" (why only iPXE: see below). A UEFI HTTP Boot client gets
// a URL instead (httpBoot).
func (t *turn) bootInfo(resp *dhcpv4.DHCPv4) {
	// Only an explicit parameter request list counts here: the codec reads
	// a missing list as "send everything" (RFC 2131 §3.5), but a client that
	// names no boot file option and is no PXE client wants no boot file.
	requested := func(code uint8) bool {
		return slices.Contains(t.req.Options.Get(dhcpv4.OptionParameterRequestList), code)
	}
	if !t.pxe.Wants(requested) {
		return
	}
	boot := t.boot
	file := boot.FileFor(t.pxe.Arch)
	if t.pxe.HTTP {
		t.httpBoot(resp, file, boot.HTTPS, requested)
		return
	}
	next := boot.NextServer
	if !next.IsValid() {
		next = t.in.ServerIP
	}
	if t.pxe.IPXE && t.r.IPXEScript != nil {
		if url := t.r.IPXEScript(t.req.ClientHWAddr, t.in.ServerIP); url != "" {
			file = url
		}
	}
	resp.ServerIPAddr = next.AsSlice()
	if file != "" {
		resp.BootFileName = file
		if requested(pxe.OptBootfileName) {
			resp.UpdateOption(dhcpv4.OptBootFileName(file))
		}
	}
	if requested(pxe.OptTFTPServer) {
		resp.UpdateOption(dhcpv4.OptTFTPServerName(next.String()))
	}
	// Option 60 "PXEClient" only for iPXE. iPXE keeps waiting for ProxyDHCP
	// offers for seconds unless the offer carries it (seen in the lab
	// captures). EDK2's own UEFI PXE client (OVMF) reads an offer with
	// "PXEClient" and no PXE vendor options (43) as a BINL offer and asks
	// the server again on port 4011 before it loads anything (seen with
	// OVMF here), while a plain offer with siaddr and a boot file it boots
	// at once, as do PXE 2.1 ROMs.
	if t.pxe.PXE && t.pxe.IPXE {
		resp.UpdateOption(dhcpv4.OptClassIdentifier("PXEClient"))
		// Echo the client's machine identifier (RFC 4578 §2.3); some PXE
		// ROMs check for it in the replies they accept.
		if u := t.req.Options.Get(dhcpv4.GenericOptionCode(pxe.OptClientUUID)); len(u) > 0 {
			resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(pxe.OptClientUUID), u))
		}
	}
}

// bootFileField is the size of the BOOTP file field (RFC 2131 §2), which
// holds a NUL-terminated name.
const bootFileField = 128

// httpBoot gives a UEFI HTTP Boot client (option 60 "HTTPClient") its boot
// file as a URL and option 60 "HTTPClient" back: the UEFI specification's
// HTTP Boot section (since UEFI 2.5) has the client take an offer as an
// HTTP Boot offer only with that class identifier, and the boot file URI
// from option 67 or the file field (EDK2's HttpBootDxe prefers option 67).
// Without a URL to give (no boot file for its architecture, or a path while
// pxed serves no HTTP) the client gets an address and nothing else, and its
// firmware moves on to the next boot option.
func (t *turn) httpBoot(resp *dhcpv4.DHCPv4, file string, secure bool, requested func(uint8) bool) {
	if t.boot.Image && file != "" && !pxe.IsURL(file) {
		// boot.http_image: the image pxed builds around the file (internal/ramdisk).
		file = pxe.ImagePath(t.pxe.Arch, t.req.ClientHWAddr)
	}
	port := t.plan.httpPort
	if secure {
		port = t.plan.httpsPort
	}
	url := pxe.HTTPBootURL(file, t.in.ServerIP, port, secure)
	if url == "" {
		return
	}
	resp.UpdateOption(dhcpv4.OptClassIdentifier("HTTPClient"))
	// The file field holds 127 characters and a NUL; a longer URL goes in
	// option 67 alone, which RFC 2132 §9.5 provides for names that do not fit.
	if len(url) < bootFileField {
		resp.BootFileName = url
	}
	if requested(pxe.OptBootfileName) || len(url) >= bootFileField {
		resp.UpdateOption(dhcpv4.OptBootFileName(url))
	}
}

// nak builds a DHCPNAK (RFC 2131 §4.3.2, Table 3): server identifier and a
// message, no address. Through a relay it asks for broadcast delivery, as
// the client may not have a usable address.
func (t *turn) nak(msg string) *dhcpv4.DHCPv4 {
	resp := t.newReply()
	resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeNak))
	resp.UpdateOption(dhcpv4.OptServerIdentifier(t.in.ServerIP.AsSlice()))
	resp.UpdateOption(dhcpv4.OptMessage(msg))
	if ip4(t.req.GatewayIPAddr).IsValid() {
		resp.SetBroadcast()
	}
	return resp
}

// Destination is where a reply goes.
type Destination struct {
	Kind DestKind
	// Addr is the IP and UDP port to send to.
	Addr netip.AddrPort
	// MAC is the link-layer destination for KindHardware.
	MAC net.HardwareAddr
}

// DestKind is how a reply is delivered.
type DestKind uint8

const (
	KindRelay     DestKind = iota + 1 // to the relay agent, port 67
	KindUnicast                       // to the client's configured address (ciaddr), port 68
	KindBroadcast                     // to 255.255.255.255, port 68, on the interface
	KindHardware                      // to yiaddr at chaddr, port 68, without ARP
)

// Route applies RFC 2131 §4.1 ("Constructing and sending DHCP messages"),
// and RFC 1542 §5.4 for a BOOTREPLY, to decide where resp to req is sent.
func Route(req, resp *dhcpv4.DHCPv4) Destination {
	if gi := ip4(req.GatewayIPAddr); gi.IsValid() {
		return Destination{Kind: KindRelay, Addr: netip.AddrPortFrom(gi, dhcpv4.ServerPort)}
	}
	if resp.MessageType() == dhcpv4.MessageTypeNak {
		return Destination{Kind: KindBroadcast, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), dhcpv4.ClientPort)}
	}
	if ci := ip4(req.ClientIPAddr); ci.IsValid() {
		return Destination{Kind: KindUnicast, Addr: netip.AddrPortFrom(ci, dhcpv4.ClientPort)}
	}
	yi := ip4(resp.YourIPAddr)
	// A BOOTREPLY (no option 53) to a client without an address is
	// broadcast even without the broadcast flag. RFC 1542 §5.4 has the
	// server unicast to yiaddr and chaddr then, and broadcast where it
	// cannot; §3.1.1 asks clients that cannot take such a unicast to set
	// the flag, but BOOTP clients older than RFC 1542 do not: Debian's
	// bootpc sends a plain UDP socket's request without it, and its kernel
	// drops a datagram for an address the interface does not have yet
	// (seen with dnsmasq, which unicasts: "No response from BOOTP server").
	// A broadcast reaches every BOOTP client, so it is what they get.
	bootp := resp.MessageType() == dhcpv4.MessageTypeNone
	if req.IsBroadcast() || !yi.IsValid() || len(req.ClientHWAddr) != 6 || bootp {
		return Destination{Kind: KindBroadcast, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), dhcpv4.ClientPort)}
	}
	return Destination{Kind: KindHardware, Addr: netip.AddrPortFrom(yi, dhcpv4.ClientPort), MAC: req.ClientHWAddr}
}
