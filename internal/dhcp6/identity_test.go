package dhcp6

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"
)

// ipxeSolicit is the Solicit of SeaBIOS's iPXE ROM (Debian ipxe-qemu
// 1.0.0+git-20190125) under QEMU without -uuid, as captured in the IPv6
// lab (docs/firmware.md): DUID-UUID of zeros, IA_NA with T1 = T2 = 0, ORO
// 23, 24, 59, 60, vendor class PXEClient arch 0, option 61 = 0, user
// class iPXE.
func ipxeSolicit() *dhcpv6.Message {
	m := &dhcpv6.Message{MessageType: dhcpv6.MessageTypeSolicit, TransactionID: dhcpv6.TransactionID{0xa1, 0xb2, 0xc3}}
	m.AddOption(&dhcpv6.OptionGeneric{OptionCode: dhcpv6.OptionClientID, OptionData: append([]byte{0, 4}, make([]byte, 16)...)})
	m.AddOption(&dhcpv6.OptIANA{IaId: [4]byte{0xe7, 0x42, 0x84, 0x3a}})
	m.AddOption(dhcpv6.OptRequestedOption(dhcpv6.OptionDNSRecursiveNameServer, dhcpv6.OptionDomainSearchList,
		dhcpv6.OptionBootfileURL, dhcpv6.OptionBootfileParam))
	m.AddOption(&dhcpv6.OptVendorClass{EnterpriseNumber: 343, Data: [][]byte{[]byte("PXEClient:Arch:00000:UNDI:002001")}})
	m.AddOption(dhcpv6.OptClientArchType(iana.INTEL_X86PC))
	m.AddOption(&dhcpv6.OptUserClass{UserClasses: [][]byte{[]byte("iPXE")}})
	return m
}

// station01LL is station-01's link-local address as iPXE forms it from
// 00:18:e7:42:84:3a: the modified EUI-64 of RFC 4291 Appendix A.
var station01LL = netip.MustParseAddr("fe80::218:e7ff:fe42:843a")

func TestClientMAC(t *testing.T) {
	t.Parallel()
	other := mustMAC("52:54:00:12:34:56")
	llt := (&dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: 7, LinkLayerAddr: station01}).ToBytes()
	ll := (&dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: station01}).ToBytes()
	uuid := append([]byte{0, 4}, make([]byte, 16)...)
	ib := (&dhcpv6.DUIDLL{HWType: iana.HWTypeInfiniband, LinkLayerAddr: make([]byte, 20)}).ToBytes()
	relay := func(opts ...dhcpv6.Option) []*dhcpv6.RelayMessage {
		r := &dhcpv6.RelayMessage{MessageType: dhcpv6.MessageTypeRelayForward}
		for _, o := range opts {
			r.Options.Add(o)
		}
		return []*dhcpv6.RelayMessage{r}
	}
	for _, tt := range []struct {
		name string
		id   Identity
		want string
		from MACSource
	}{
		{"DUID-LLT", Identity{DUID: llt}, "00:18:e7:42:84:3a", MACDUID},
		{"DUID-LL", Identity{DUID: ll}, "00:18:e7:42:84:3a", MACDUID},
		{"InfiniBand DUID-LL names no Ethernet MAC", Identity{DUID: ib}, "", MACUnknown},
		{"DUID-UUID alone names none", Identity{DUID: uuid}, "", MACUnknown},
		{"DUID-UUID from an EUI-64 link-local: Appendix A backwards", Identity{DUID: uuid, Peer: station01LL}, "00:18:e7:42:84:3a", MACLinkLocal},
		{"the link-local's zone is no matter", Identity{DUID: uuid, Peer: station01LL.WithZone("br0")}, "00:18:e7:42:84:3a", MACLinkLocal},
		{"the u/l bit comes back: a local MAC", Identity{DUID: uuid, Peer: netip.MustParseAddr("fe80::ff:fe00:1")}, "02:00:00:00:00:01", MACLinkLocal},
		{"a stable-privacy link-local names none", Identity{DUID: uuid, Peer: netip.MustParseAddr("fe80::3c2a:91d4:7e0b:12f5")}, "", MACUnknown},
		{"a global EUI-64 address is not read", Identity{DUID: uuid, Peer: netip.MustParseAddr("2001:db8:1::218:e7ff:fe42:843a")}, "", MACUnknown},
		{"a link-local outside fe80::/64 is not read", Identity{DUID: uuid, Peer: netip.MustParseAddr("fe80:1::218:e7ff:fe42:843a")}, "", MACUnknown},
		{"an EUI-64 of a group address is no NIC's", Identity{DUID: uuid, Peer: netip.MustParseAddr("fe80::318:e7ff:fe42:843a")}, "", MACUnknown},
		{"the neighbour entry before the link-local", Identity{DUID: uuid, Peer: station01LL, Neighbour: other}, "52:54:00:12:34:56", MACNeighbour},
		{"the neighbour entry for an opaque link-local", Identity{DUID: uuid, Peer: netip.MustParseAddr("fe80::3c2a:91d4:7e0b:12f5"), Neighbour: station01}, "00:18:e7:42:84:3a", MACNeighbour},
		{"a neighbour entry of zeros is none", Identity{DUID: uuid, Neighbour: make(net.HardwareAddr, 6)}, "", MACUnknown},
		{"the DUID's MAC before the neighbour entry", Identity{DUID: llt, Neighbour: other}, "00:18:e7:42:84:3a", MACDUID},
		{"option 79 before the DUID", Identity{DUID: (&dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: other}).ToBytes(),
			Relays: relay(dhcpv6.OptClientLinkLayerAddress(iana.HWTypeEthernet, station01))}, "00:18:e7:42:84:3a", MACRelay},
		{"relayed without option 79: the DUID", Identity{DUID: llt, Relays: relay()}, "00:18:e7:42:84:3a", MACDUID},
		{"relayed without option 79 or a MAC in the DUID: the peer-address", Identity{DUID: uuid, Relays: relay(), Peer: station01LL}, "00:18:e7:42:84:3a", MACLinkLocal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mac, from := ClientMAC(tt.id)
			if mac.String() != tt.want || from != tt.from {
				t.Errorf("ClientMAC = %q from %s, want %q from %s", mac, from, tt.want, tt.from)
			}
		})
	}
}

// TestIPXEByLinkLocal: iPXE's Solicit names no MAC in its DUID; from its
// EUI-64 link-local source, pxed still knows station-01 and gives it its
// reserved ip6 and its script, in the Advertise and in the Reply to its
// Request. From an opaque link-local the neighbour entry the server read
// does the same.
func TestIPXEByLinkLocal(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		in   Ingress
		from MACSource
	}{
		{"EUI-64 link-local", Ingress{Iface: "br0", Addr: serverAddr, Peer: station01LL}, MACLinkLocal},
		{"neighbour table", Ingress{Iface: "br0", Addr: serverAddr, Peer: netip.MustParseAddr("fe80::3c2a:91d4:7e0b:12f5"), Neighbour: station01}, MACNeighbour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			sol := ipxeSolicit()
			d := f.r.Respond(roundTrip(t, sol), tt.in)
			if d.Reply == nil {
				t.Fatalf("no Advertise: %s", d.Reason)
			}
			want := summary{Type: "ADVERTISE", IAs: []string{"2001:db8:1::101/1h0m0s "},
				Boot: "http://[2001:db8:1::21]:8080/ipxe/00:18:e7:42:84:3a.ipxe", Other: []string{"DNS", "Domain Search List", "Preference"}}
			if diff := cmp.Diff(want, summarize(d.Message)); diff != "" {
				t.Fatalf("Advertise (-want +got):\n%s", diff)
			}
			if d.Host != "station-01" || d.MACFrom != tt.from {
				t.Fatalf("Advertise to host %q (MAC from %s), want station-01 (from %s)", d.Host, d.MACFrom, tt.from)
			}
			req := &dhcpv6.Message{MessageType: dhcpv6.MessageTypeRequest, TransactionID: dhcpv6.TransactionID{4, 5, 6}}
			for _, o := range sol.Options.Options {
				if o.Code() != dhcpv6.OptionIANA {
					req.AddOption(o)
				}
			}
			req.AddOption(serverID())
			req.AddOption(d.Message.Options.OneIANA())
			d = f.r.Respond(roundTrip(t, req), tt.in)
			f.commit(d)
			if d.Message == nil || d.Message.MessageType != dhcpv6.MessageTypeReply || len(d.Commit) != 1 ||
				d.Commit[0].IP != netip.MustParseAddr("2001:db8:1::101") || d.Commit[0].MAC.String() != station01.String() {
				t.Fatalf("Request: %s, commits %+v; want station-01's ::101 under its MAC", d.Reason, d.Commit)
			}
		})
	}
}
