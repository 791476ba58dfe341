package dhcp

import (
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/pxe"
)

// BootServerPort is where PXE clients send their ProxyDHCP requests once
// they have an address (PXE 2.1 §2.2.4: "PXE Boot Server" discovery on
// port 4011).
const BootServerPort = 4011

// proxy answers as a ProxyDHCP server: PXE clients only, boot information
// and no address. A DISCOVER on port 67 gets an OFFER alongside the address
// server's; a REQUEST on port 4011 gets the ACK. A REQUEST on port 67 is
// the client taking its address from the address server: not ours.
func (t *turn) proxy() Decision {
	if !t.pxe.PXE {
		return drop("proxy mode: not a PXE client (no option 60 PXEClient)")
	}
	switch mt := t.req.MessageType(); {
	case mt == dhcpv4.MessageTypeDiscover && !t.in.BootServer:
		return Decision{Reply: t.proxyReply(dhcpv4.MessageTypeOffer), Reason: "proxy offer"}
	case mt == dhcpv4.MessageTypeRequest && t.in.BootServer,
		mt == dhcpv4.MessageTypeInform && t.in.BootServer:
		return Decision{Reply: t.proxyReply(dhcpv4.MessageTypeAck), Reason: "proxy ack"}
	case mt == dhcpv4.MessageTypeRequest:
		return drop("proxy mode: request to the address server")
	default:
		return drop("proxy mode: %s not answered", mt)
	}
}

// pxeDiscoveryControl is PXE vendor option 6 (PXE_DISCOVERY_CONTROL) with
// bit 3 set: "if a boot file name is present in the offer, download it" —
// no boot menu, no boot server discovery — inside option 43, then the end.
var pxeDiscoveryControl = []byte{6, 1, 8, 255}

func (t *turn) proxyReply(mt dhcpv4.MessageType) *dhcpv4.DHCPv4 {
	resp := t.newReply()
	resp.UpdateOption(dhcpv4.OptMessageType(mt))
	resp.UpdateOption(dhcpv4.OptServerIdentifier(t.in.ServerIP.AsSlice()))
	if mt == dhcpv4.MessageTypeAck {
		resp.ClientIPAddr = t.req.ClientIPAddr
	}
	t.bootInfo(resp)
	// A ProxyDHCP reply identifies itself as for PXE clients with option 60
	// and carries the PXE vendor options (43); the client's UUID is echoed
	// (PXE 2.1 §2.2.4, RFC 4578 §2.3).
	resp.UpdateOption(dhcpv4.OptClassIdentifier("PXEClient"))
	resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionVendorSpecificInformation, pxeDiscoveryControl))
	if u := t.req.Options.Get(dhcpv4.GenericOptionCode(pxe.OptClientUUID)); len(u) > 0 {
		resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(pxe.OptClientUUID), u))
	}
	return resp
}
