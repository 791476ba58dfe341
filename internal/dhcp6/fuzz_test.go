package dhcp6

import (
	"net"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/config"
)

// FuzzRespond6 feeds arbitrary datagrams through what the server does with
// one: the nesting check, the codec, and Respond with fresh state per
// input. Nothing may panic, and a reply must encode.
func FuzzRespond6(f *testing.F) {
	st := llClient(station01)
	other := client{duid: &dhcpv6.DUIDEN{EnterpriseNumber: 9, EnterpriseIdentifier: []byte("x")}, iaid: [4]byte{9}}
	relayed, _ := dhcpv6.EncapsulateRelay(other.msg(dhcpv6.MessageTypeSolicit, other.ia()), dhcpv6.MessageTypeRelayForward,
		net.ParseIP("2001:db8:1::1"), net.ParseIP("fe80::1"))
	relayed.AddOption(dhcpv6.OptInterfaceID([]byte("eth0")))
	relayed.AddOption(dhcpv6.OptClientLinkLayerAddress(iana.HWTypeEthernet, station01))
	for _, m := range []dhcpv6.DHCPv6{
		st.msg(dhcpv6.MessageTypeSolicit, st.ia(), &dhcpv6.OptionGeneric{OptionCode: dhcpv6.OptionRapidCommit},
			dhcpv6.OptClientArchType(iana.EFI_X86_64_HTTP), &dhcpv6.OptVendorClass{EnterpriseNumber: 343, Data: [][]byte{[]byte("HTTPClient:Arch:00016")}}),
		st.msg(dhcpv6.MessageTypeRequest, serverID(), st.ia("2001:db8:1::101")),
		st.msg(dhcpv6.MessageTypeRenew, serverID(), st.ia("2001:db8:1::101")),
		st.msg(dhcpv6.MessageTypeRebind, st.ia("2001:db8:1::101")),
		st.msg(dhcpv6.MessageTypeConfirm, st.ia("2001:db8:9::1")),
		st.msg(dhcpv6.MessageTypeRelease, serverID(), st.ia("2001:db8:1::101")),
		st.msg(dhcpv6.MessageTypeDecline, serverID(), st.ia("2001:db8:1::101")),
		st.msg(dhcpv6.MessageTypeInformationRequest, dhcpv6.OptRequestedOption(dhcpv6.OptionBootfileURL)),
		other.msg(dhcpv6.MessageTypeSolicit, other.ia(), other.ia()),
		relayed,
	} {
		f.Add(m.ToBytes(), false)
	}
	f.Add([]byte{12, 0}, false)
	pools := poolsServed()
	f.Fuzz(func(t *testing.T, pkt []byte, unicast bool) {
		if !parseable(pkt).ok() {
			return
		}
		msg, err := dhcpv6.FromBytes(pkt)
		if err != nil {
			return
		}
		fx := newFixture(t, func(c *config.Config) {
			if !pools {
				for i := range c.DHCP6.Subnets {
					c.DHCP6.Subnets[i].Pools = nil
				}
			}
		})
		d := fx.r.Respond(msg, Ingress{Iface: "br0", Addr: serverAddr, Unicast: unicast})
		if (d.Reply == nil) != (d.Drop != NotDropped) {
			t.Fatalf("reply %v with drop %s (%s): a message is answered or dropped for a reason", d.Reply != nil, d.Drop, d.Reason)
		}
		fx.commit(d)
		if d.Reply != nil {
			if _, err := dhcpv6.FromBytes(d.Reply.ToBytes()); err != nil {
				t.Fatalf("reply does not parse: %v", err)
			}
		}
	})
}
