package dhcp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
)

func proxyFixture(t *testing.T) *fixture {
	return newFixture(t, func(c *config.Config) {
		c.DHCP.Subnets[0].Proxy = true
		c.DHCP.Subnets[0].Pools = nil
		for i := range c.Hosts {
			c.Hosts[i].IP = config.Addr{}
		}
	})
}

func TestProxyAnswersPXEClientsOnly(t *testing.T) {
	t.Parallel()
	f := proxyFixture(t)
	uuid := dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(97), append([]byte{0}, make([]byte, 16)...))
	disc := msg(t, dhcpv4.MessageTypeDiscover, station01, pxeBIOS(), dhcpv4.WithOption(uuid))
	d := f.do(disc)
	got := summarize(d, disc, 43, 60, 97)
	want := summary{
		Type: "OFFER", YIAddr: "0.0.0.0", SIAddr: "192.168.1.21", File: "pxelinux.0", ServerID: "192.168.1.21",
		Kind: KindBroadcast, Options: map[uint8]string{43: "\x06\x01\x08\xff", 60: "PXEClient", 97: string(uuid.Value.ToBytes())},
	}
	if got.Type != want.Type || got.YIAddr != want.YIAddr || got.File != want.File || got.SIAddr != want.SIAddr ||
		got.Kind != want.Kind || got.Options[43] != want.Options[43] || got.Options[60] != "PXEClient" || got.Options[97] != want.Options[97] {
		t.Errorf("proxy offer = %+v\nwant %+v", got, want)
	}
	if d.Commit != nil || d.Reply.Options.Has(dhcpv4.OptionIPAddressLeaseTime) || d.Reply.Options.Has(dhcpv4.OptionSubnetMask) {
		t.Errorf("proxy offer carries address configuration: %v", d.Reply.Summary())
	}
	// EDK2's PXE client (no iPXE) gets option 60 here too: with option 43
	// the offer is a proper ProxyDHCP offer.
	uefi := msg(t, dhcpv4.MessageTypeDiscover, station02, pxeUEFI(7))
	if got := summarize(f.do(uefi), uefi, 60); got.Options[60] != "PXEClient" {
		t.Errorf("UEFI proxy offer without option 60: %+v", got)
	}

	plain := msg(t, dhcpv4.MessageTypeDiscover, stranger)
	if d := f.do(plain); d.Reply != nil {
		t.Errorf("non-PXE client answered in proxy mode: %s", d.Reply.Summary())
	}
	// The client's REQUEST on port 67 is for the address server.
	req := msg(t, dhcpv4.MessageTypeRequest, station01, pxeBIOS(), requested("192.168.1.60"), serverID("192.168.1.1"))
	if d := f.do(req); d.Reply != nil {
		t.Errorf("REQUEST to the address server answered: %s", d.Reply.Summary())
	}
	// Its ProxyDHCP REQUEST on port 4011 gets the ACK, to where it came from.
	boot := msg(t, dhcpv4.MessageTypeRequest, station01, pxeBIOS(), dhcpv4.WithClientIP([]byte{192, 168, 1, 60}))
	d = f.r.Respond(boot, Ingress{Iface: "br0", ServerIP: serverIP, BootServer: true})
	if d.Reply == nil || d.Reply.MessageType() != dhcpv4.MessageTypeAck || d.Reply.BootFileName != "pxelinux.0" || d.Commit != nil || !d.Proxy {
		t.Fatalf("ProxyDHCP request on 4011: %+v", d)
	}
	if got := d.Reply.ClientIPAddr.String(); got != "192.168.1.60" {
		t.Errorf("ACK ciaddr %s", got)
	}
}

// A UEFI HTTP Boot client gets a ProxyDHCP offer with option 60 HTTPClient
// and the URL, no address; with no URL for it, no offer at all, since EDK2
// drops an HTTPClient offer without one.
func TestProxyAnswersHTTPBootClients(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) {
		c.DHCP.Subnets[0].Proxy = true
		c.DHCP.Subnets[0].Pools = nil
		for i := range c.Hosts {
			c.Hosts[i].IP = config.Addr{}
		}
		c.Boot.Files["http-efi-x64"] = "snponly.efi"
	})
	disc := asking(msg(t, dhcpv4.MessageTypeDiscover, station01, httpUEFI), dhcpv4.OptionBootfileName)
	d := f.do(disc)
	got := summarize(d, disc, 43, 60, 67)
	want := summary{
		Type: "OFFER", YIAddr: "0.0.0.0", SIAddr: "0.0.0.0", File: "http://192.168.1.21:8080/snponly.efi", ServerID: "192.168.1.21",
		Kind: KindBroadcast, Options: map[uint8]string{60: "HTTPClient", 67: "http://192.168.1.21:8080/snponly.efi"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("proxy offer to an HTTP Boot client (-want +got):\n%s", diff)
	}
	if d.Commit != nil || d.Reply.Options.Has(dhcpv4.OptionIPAddressLeaseTime) {
		t.Errorf("proxy offer carries address configuration: %v", d.Reply.Summary())
	}

	f = proxyFixture(t) // no http-efi-x64 entry
	if d := f.do(disc); d.Reply != nil {
		t.Errorf("HTTP Boot client without a URL answered in proxy mode: %s", d.Reply.Summary())
	}
}
