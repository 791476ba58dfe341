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
//
// A UEFI HTTP Boot client is answered the same way on port 67: EDK2's
// HttpBootDxe takes an offer without an address, with option 60
// "HTTPClient" and a URL naming the server by its IP address, as a proxy
// offer, and boots from it with the address server's address.
func (t *turn) proxy() Decision {
	if !t.pxe.PXE && !t.pxe.HTTP {
		return drop("proxy mode: not a PXE or HTTP Boot client (no option 60 PXEClient or HTTPClient)")
	}
	switch mt := t.req.MessageType(); {
	case mt == dhcpv4.MessageTypeDiscover && !t.in.BootServer && t.pxe.HTTP:
		resp := t.proxyHTTPOffer()
		if resp == nil {
			return drop("proxy mode: no HTTP boot URL for %s", t.pxe.Arch)
		}
		return Decision{Reply: resp, Reason: "proxy offer", Proxy: true}
	case mt == dhcpv4.MessageTypeDiscover && !t.in.BootServer:
		return Decision{Reply: t.proxyReply(dhcpv4.MessageTypeOffer), Reason: "proxy offer", Proxy: true}
	case t.in.BootServer && t.pxe.HTTP:
		return drop("proxy mode: port 4011 is for PXE clients, not HTTP Boot")
	case mt == dhcpv4.MessageTypeRequest && t.in.BootServer,
		mt == dhcpv4.MessageTypeInform && t.in.BootServer:
		return Decision{Reply: t.proxyReply(dhcpv4.MessageTypeAck), Reason: "proxy ack", Proxy: true}
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

// proxyHTTPOffer is a ProxyDHCP offer for a UEFI HTTP Boot client: server
// identifier, option 60 "HTTPClient" and the URL; nil when there is no URL
// to give, since an HTTPClient offer without one is dropped by the client.
func (t *turn) proxyHTTPOffer() *dhcpv4.DHCPv4 {
	resp := t.newReply()
	resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeOffer))
	resp.UpdateOption(dhcpv4.OptServerIdentifier(t.in.ServerIP.AsSlice()))
	t.bootInfo(resp)
	if resp.BootFileName == "" && !resp.Options.Has(dhcpv4.OptionBootfileName) {
		return nil
	}
	return resp
}
