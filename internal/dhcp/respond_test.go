package dhcp

import (
	"context"
	_ "embed"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
)

var (
	serverIP  = netip.MustParseAddr("192.168.1.21")
	in        = Ingress{Iface: "br0", ServerIP: serverIP}
	station01 = mustMAC("00:18:e7:42:84:3a")
	station02 = mustMAC("00:18:e7:42:85:21")
	stranger  = mustMAC("02:00:00:00:00:01")
	stranger2 = mustMAC("02:00:00:00:00:02")
)

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// labYAML is the network the tests are written against.
//
//go:embed testdata/lab.yaml
var labYAML []byte

// lab parses the tests' network (testdata/lab.yaml).
func lab(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Parse("testdata/lab.yaml", labYAML)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fixture is a Responder for the lab network over an in-memory lease
// store, on a clock the test moves.
type fixture struct {
	t     testing.TB
	r     *Responder
	alloc *lease.Allocator
	clock *clock
}

// newFixture serves the lab network, changed by edit if it is set.
func newFixture(t testing.TB, edit func(*config.Config)) *fixture {
	t.Helper()
	cfg := lab(t)
	if edit != nil {
		edit(cfg)
	}
	return fixtureFor(t, cfg)
}

// fixtureFor serves cfg from fresh state: an empty store and a new clock.
// NewResponder only reads cfg, so one cfg may serve many fixtures.
func fixtureFor(t testing.TB, cfg *config.Config) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	alloc, err := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewResponder(cfg, alloc, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, r: r, alloc: alloc, clock: c}
}

// do decides req and, like the server, commits the lease before the reply counts.
func (f *fixture) do(req *dhcpv4.DHCPv4) Decision {
	f.t.Helper()
	d := f.r.Respond(req, in)
	if d.Commit != nil {
		if err := f.alloc.Commit(context.Background(), *d.Commit); err != nil {
			f.t.Fatalf("commit %v: %v", d.Commit.IP, err)
		}
	}
	return d
}

func msg(t testing.TB, mt dhcpv4.MessageType, mac net.HardwareAddr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{
		dhcpv4.WithMessageType(mt), dhcpv4.WithHwAddr(mac), dhcpv4.WithHWType(iana.HWTypeEthernet),
		dhcpv4.WithTransactionID(dhcpv4.TransactionID{1, 2, 3, 4}),
	}, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) == 0 || m.Options.Has(dhcpv4.OptionParameterRequestList) {
		// dhcpv4.New asks for a default list of options; a test asks for
		// what it means to.
		m.Options.Del(dhcpv4.OptionParameterRequestList)
	}
	return m
}

func requested(ip string) dhcpv4.Modifier {
	return dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP(ip)))
}

func serverID(ip string) dhcpv4.Modifier {
	return dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP(ip)))
}

// pxeBIOS is SeaBIOS with QEMU's iPXE ROM, as in the lab.
func pxeBIOS() dhcpv4.Modifier {
	return func(d *dhcpv4.DHCPv4) {
		d.UpdateOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00000:UNDI:002001"))
		d.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientSystemArchitectureType, []byte{0, 0}))
		d.UpdateOption(dhcpv4.OptUserClass("iPXE"))
	}
}

func pxeUEFI(arch byte) dhcpv4.Modifier {
	return func(d *dhcpv4.DHCPv4) {
		d.UpdateOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00007:UNDI:003001"))
		d.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientSystemArchitectureType, []byte{0, arch}))
	}
}

// summary is what a test checks of a reply.
type summary struct {
	Type     string
	YIAddr   string
	SIAddr   string
	File     string
	Options  map[uint8]string
	Reason   string
	Commit   string
	Kind     DestKind
	NoReply  bool
	ServerID string
}

func summarize(d Decision, req *dhcpv4.DHCPv4, codes ...uint8) summary {
	s := summary{}
	if d.Commit != nil {
		s.Commit = d.Commit.IP.String() + " " + d.Commit.State.String()
	}
	if d.Reply == nil {
		s.NoReply = true
		return s
	}
	r := d.Reply
	s.Type = r.MessageType().String()
	s.YIAddr = r.YourIPAddr.String()
	s.SIAddr = r.ServerIPAddr.String()
	s.File = r.BootFileName
	s.ServerID = r.ServerIdentifier().String()
	s.Kind = Route(req, r).Kind
	s.Options = map[uint8]string{}
	for _, c := range codes {
		if v := r.Options.Get(dhcpv4.GenericOptionCode(c)); v != nil {
			s.Options[c] = string(v)
		}
	}
	return s
}

func TestDiscoverRequestReservedStation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	disc := msg(t, dhcpv4.MessageTypeDiscover, station01, pxeBIOS())
	got := summarize(f.do(disc), disc, 12, 15, 60)
	want := summary{
		Type: "OFFER", YIAddr: "192.168.1.101", SIAddr: "192.168.1.21", File: "pxelinux.0", ServerID: "192.168.1.21",
		Kind: KindHardware, Options: map[uint8]string{12: "station-01", 15: "test.lan", 60: "PXEClient"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OFFER (-want +got):\n%s", diff)
	}
	req := msg(t, dhcpv4.MessageTypeRequest, station01, pxeBIOS(), requested("192.168.1.101"), serverID("192.168.1.21"))
	got = summarize(f.do(req), req, 51, 58, 59)
	want = summary{
		Type: "ACK", YIAddr: "192.168.1.101", SIAddr: "192.168.1.21", File: "pxelinux.0", ServerID: "192.168.1.21",
		Kind: KindHardware, Commit: "192.168.1.101 bound",
		Options: map[uint8]string{51: "\x00\x00\xa8\xc0", 58: "\x00\x00\x54\x60", 59: "\x00\x00\x93\xa8"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ACK (-want +got):\n%s", diff)
	}
	if l, ok := f.alloc.Get(netip.MustParseAddr("192.168.1.101")); !ok || l.Hostname != "station-01" || !l.Expires.Equal(f.clock.t.Add(12*time.Hour)) {
		t.Errorf("lease after ACK = %+v, %v", l, ok)
	}
}

// EDK2's own UEFI PXE client (no user class) gets a plain offer: with
// option 60 and no option 43 it would ask again on port 4011.
func TestEDK2PXEGetsPlainOffer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) {
		c.Boot.Files = map[string]string{"efi-x64": "debian-installer/amd64/grubx64.efi"}
	})
	disc := msg(t, dhcpv4.MessageTypeDiscover, station02, pxeUEFI(7))
	got := summarize(f.do(disc), disc, 60)
	if got.File != "debian-installer/amd64/grubx64.efi" || got.SIAddr != "192.168.1.21" || got.Options[60] != "" {
		t.Errorf("EDK2 offer = %+v, want the boot file and next-server without option 60", got)
	}
}

func TestNonPXEClientGetsNoBootFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	disc := msg(t, dhcpv4.MessageTypeDiscover, station02)
	got := summarize(f.do(disc), disc, 60)
	if got.File != "" || got.SIAddr != "0.0.0.0" || got.Options[60] != "" || got.YIAddr != "192.168.1.102" {
		t.Errorf("plain client offer = %+v, want .102 without boot information", got)
	}
}

func TestBootFileByArchitecture(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) {
		c.Boot.Files = map[string]string{"efi-x64": "debian-installer/amd64/grubx64.efi"}
	})
	for _, tc := range []struct {
		name string
		mod  dhcpv4.Modifier
		want string
	}{
		{"bios", pxeBIOS(), "pxelinux.0"},
		{"x64 UEFI (7)", pxeUEFI(7), "debian-installer/amd64/grubx64.efi"},
		// RFC 4578 errata: firmware also sends 9 for x64 UEFI.
		{"x64 UEFI (9)", pxeUEFI(9), "debian-installer/amd64/grubx64.efi"},
	} {
		disc := msg(t, dhcpv4.MessageTypeDiscover, station01, tc.mod)
		if got := summarize(f.do(disc), disc).File; got != tc.want {
			t.Errorf("%s: boot file %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSelectingAnotherServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.do(msg(t, dhcpv4.MessageTypeDiscover, stranger))
	req := msg(t, dhcpv4.MessageTypeRequest, stranger, requested("192.168.1.150"), serverID("192.168.1.99"))
	if d := f.do(req); d.Reply != nil || d.Commit != nil {
		t.Fatalf("request for another server answered: %+v", d)
	}
	// The withdrawn offer is free for the next client at once.
	disc := msg(t, dhcpv4.MessageTypeDiscover, stranger2, requested("192.168.1.150"))
	if got := summarize(f.do(disc), disc).YIAddr; got != "192.168.1.150" {
		t.Errorf("next client offered %s, want the withdrawn 192.168.1.150", got)
	}
}

func TestInitRebootAndRenew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		authoritative bool
		mac           net.HardwareAddr
		mods          []dhcpv4.Modifier
		want          string // reply type, or "" for silence
		kind          DestKind
	}{
		{"init-reboot right address", true, station01, []dhcpv4.Modifier{requested("192.168.1.101")}, "ACK", KindHardware},
		{"init-reboot reserved station asks pool address", true, station01, []dhcpv4.Modifier{requested("192.168.1.150")}, "NAK", KindBroadcast},
		{"init-reboot wrong network", true, stranger, []dhcpv4.Modifier{requested("10.0.0.5")}, "NAK", KindBroadcast},
		{"init-reboot wrong network, not authoritative", false, stranger, []dhcpv4.Modifier{requested("10.0.0.5")}, "", 0},
		{"init-reboot free pool address", true, stranger, []dhcpv4.Modifier{requested("192.168.1.160")}, "ACK", KindHardware},
		{"renewing", true, station01, []dhcpv4.Modifier{dhcpv4.WithClientIP(net.ParseIP("192.168.1.101"))}, "ACK", KindUnicast},
		{"rebinding", true, station01, []dhcpv4.Modifier{dhcpv4.WithClientIP(net.ParseIP("192.168.1.101")), dhcpv4.WithBroadcast(true)}, "ACK", KindUnicast},
		{"renewing someone else's reservation", true, stranger, []dhcpv4.Modifier{dhcpv4.WithClientIP(net.ParseIP("192.168.1.102"))}, "NAK", KindBroadcast},
		{"no address at all", true, stranger, nil, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *config.Config) { c.DHCP.Authoritative = tc.authoritative })
			req := msg(t, dhcpv4.MessageTypeRequest, tc.mac, tc.mods...)
			d := f.do(req)
			got := summarize(d, req)
			if got.Type != tc.want || (tc.want != "" && got.Kind != tc.kind) {
				t.Errorf("got %s via %d (%s), want %q via %d", got.Type, got.Kind, d.Reason, tc.want, tc.kind)
			}
			if tc.want == "ACK" && d.Commit == nil {
				t.Error("ACK without a lease to commit")
			}
			if tc.want != "ACK" && d.Commit != nil {
				t.Errorf("%s commits a lease", tc.want)
			}
		})
	}
}

// TestSubnetAuthoritative: a subnet's own authoritative replaces
// dhcp.authoritative there, both ways, as ISC dhcpd's "authoritative;" and
// "not authoritative;" in a subnet declaration do.
func TestSubnetAuthoritative(t *testing.T) {
	t.Parallel()
	on, off := true, false
	for _, tc := range []struct {
		name   string
		global bool
		subnet *bool
		want   string // reply to an INIT-REBOOT for a wrong address: NAK, or "" for silence
	}{
		{"global on, subnet unset", true, nil, "NAK"},
		{"global off, subnet unset", false, nil, ""},
		{"global off, subnet on", false, &on, "NAK"},
		{"global on, subnet off", true, &off, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *config.Config) {
				c.DHCP.Authoritative = tc.global
				c.DHCP.Subnets[0].Authoritative = tc.subnet
			})
			req := msg(t, dhcpv4.MessageTypeRequest, stranger, requested("10.0.0.5"))
			d := f.do(req)
			if got := summarize(d, req).Type; got != tc.want {
				t.Errorf("got %q (%s), want %q", got, d.Reason, tc.want)
			}
		})
	}
}

func TestReturningClientGetsSameAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ip := bind(t, f, stranger)
	rel := msg(t, dhcpv4.MessageTypeRelease, stranger, dhcpv4.WithClientIP(net.ParseIP(ip)), serverID("192.168.1.21"))
	if d := f.do(rel); d.Commit == nil || d.Commit.State != lease.Released || d.Reply != nil {
		t.Fatalf("release: %+v", d)
	}
	// Another client comes and goes meanwhile; it must not take the address.
	other := bind(t, f, stranger2)
	if other == ip {
		t.Fatalf("released address %s went to another client while fresh ones were free", ip)
	}
	f.clock.t = f.clock.t.Add(24 * time.Hour)
	if again := bind(t, f, stranger); again != ip {
		t.Errorf("returning client got %s, want its previous %s", again, ip)
	}
}

// bind runs DISCOVER, REQUEST for mac and returns the acknowledged address.
func bind(t *testing.T, f *fixture, mac net.HardwareAddr) string {
	t.Helper()
	disc := msg(t, dhcpv4.MessageTypeDiscover, mac)
	o := f.do(disc)
	if o.Reply == nil {
		t.Fatalf("no offer: %s", o.Reason)
	}
	req := msg(t, dhcpv4.MessageTypeRequest, mac, requested(o.Reply.YourIPAddr.String()), serverID("192.168.1.21"))
	a := f.do(req)
	if a.Reply == nil || a.Reply.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("no ACK: %s", a.Reason)
	}
	return a.Reply.YourIPAddr.String()
}

func TestDeclineQuarantines(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ip := bind(t, f, stranger)
	// Only the holder may decline.
	if d := f.do(msg(t, dhcpv4.MessageTypeDecline, stranger2, requested(ip))); d.Commit != nil {
		t.Fatalf("decline from a non-holder accepted: %+v", d)
	}
	d := f.do(msg(t, dhcpv4.MessageTypeDecline, stranger, requested(ip)))
	if d.Commit == nil || d.Commit.State != lease.Declined || d.Reply != nil {
		t.Fatalf("decline: %+v", d)
	}
	if again := bind(t, f, stranger); again == ip {
		t.Errorf("declined %s offered again at once", ip)
	}
	f.clock.t = f.clock.t.Add(11 * time.Minute) // past the default 10m hold
	for _, m := range []net.HardwareAddr{stranger2, mustMAC("02:00:00:00:00:03")} {
		bind(t, f, m)
	}
	req := msg(t, dhcpv4.MessageTypeRequest, mustMAC("02:00:00:00:00:09"), requested(ip))
	if got := summarize(f.do(req), req); got.Type != "ACK" {
		t.Errorf("after the hold, %s is not assignable: %+v", ip, got)
	}
}

func TestInform(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	req := msg(t, dhcpv4.MessageTypeInform, stranger, dhcpv4.WithClientIP(net.ParseIP("192.168.1.50")))
	d := f.do(req)
	got := summarize(d, req, 15, 51)
	if got.Type != "ACK" || got.YIAddr != "0.0.0.0" || got.Options[51] != "" || got.Options[15] != "test.lan" || got.Kind != KindUnicast || d.Commit != nil {
		t.Errorf("INFORM answer = %+v", got)
	}
}

func TestPoolExhausted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) {
		c.DHCP.Subnets[0].Pools[0].Last = netip.MustParseAddr("192.168.1.151")
	})
	bind(t, f, mustMAC("02:00:00:00:01:01"))
	bind(t, f, mustMAC("02:00:00:00:01:02"))
	d := f.do(msg(t, dhcpv4.MessageTypeDiscover, stranger))
	if d.Reply != nil {
		t.Fatalf("offer from an exhausted pool: %v", d.Reply.YourIPAddr)
	}
	if want := "192.168.1.0/24: no free address in pool"; d.Reason != want {
		t.Errorf("reason %q, want %q", d.Reason, want)
	}
	// A reserved station still gets its address.
	disc := msg(t, dhcpv4.MessageTypeDiscover, station02)
	if got := summarize(f.do(disc), disc).YIAddr; got != "192.168.1.102" {
		t.Errorf("reserved station offered %s", got)
	}
}

func TestRelayed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	disc := msg(t, dhcpv4.MessageTypeDiscover, stranger, dhcpv4.WithGatewayIP(net.ParseIP("192.168.1.1")),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRelayAgentInformation, []byte{1, 3, 'e', 't', '1'})))
	d := f.do(disc)
	got := summarize(d, disc, 82)
	if got.Type != "OFFER" || got.Kind != KindRelay || got.Options[82] != "\x01\x03et1" {
		t.Errorf("relayed offer = %+v", got)
	}
	if dest := Route(disc, d.Reply); dest.Addr.String() != "192.168.1.1:67" {
		t.Errorf("relayed reply goes to %s", dest.Addr)
	}
	other := msg(t, dhcpv4.MessageTypeDiscover, stranger, dhcpv4.WithGatewayIP(net.ParseIP("10.9.9.1")))
	if d := f.do(other); d.Reply != nil || d.Reason != "no subnet configured for 10.9.9.1" {
		t.Errorf("relay from an unknown network: %+v", d)
	}
}

func TestMalformedRequestsDropped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	reply := msg(t, dhcpv4.MessageTypeDiscover, stranger)
	reply.OpCode = dhcpv4.OpcodeBootReply
	offer := msg(t, dhcpv4.MessageTypeOffer, stranger)
	longMAC := msg(t, dhcpv4.MessageTypeDiscover, append(append(net.HardwareAddr{}, stranger...), 0, 0, 0, 0))
	for name, req := range map[string]*dhcpv4.DHCPv4{"bootreply": reply, "offer": offer, "Ethernet hlen 10": longMAC} {
		if d := f.do(req); d.Reply != nil || d.Reason == "" {
			t.Errorf("%s: answered or no reason: %+v", name, d)
		}
	}
}

// The requests real firmware sent in the lab, answered as the lab network
// says.
func TestCapturedFirmware(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pcap, wantIP, wantFile, wantRequest, want60 string
	}{
		{"testdata/ipxe-bios-dhcp.pcap", "192.168.1.101", "pxelinux.0", "ACK", "PXEClient"},
		// In the capture, dnsmasq had offered station-03 192.168.1.148 from
		// its pool and the client asks for that; the lab network reserves
		// .103 for it, so the right answer is a NAK.
		// The capture is of iPXE's UEFI build (UNDI:003010, user class iPXE).
		{"testdata/ovmf-uefi-dhcp-tftp.pcap", "192.168.1.103", "debian-installer/amd64/grubx64.efi", "NAK", "PXEClient"},
	} {
		f := newFixture(t, func(c *config.Config) {
			c.Boot.Files = map[string]string{"efi-x64": "debian-installer/amd64/grubx64.efi"}
		})
		reqs := capturedRequests(t, tc.pcap)
		if len(reqs) < 2 {
			t.Fatalf("%s: %d requests", tc.pcap, len(reqs))
		}
		for _, req := range reqs {
			d := f.do(req)
			if d.Reply == nil {
				t.Errorf("%s: %s unanswered: %s", tc.pcap, req.MessageType(), d.Reason)
				continue
			}
			got := summarize(d, req, 60)
			if req.MessageType() == dhcpv4.MessageTypeRequest {
				if got.Type != tc.wantRequest {
					t.Errorf("%s: REQUEST answered %s (%s), want %s", tc.pcap, got.Type, d.Reason, tc.wantRequest)
				}
				if got.Type == "NAK" {
					continue
				}
			}
			if got.YIAddr != tc.wantIP || got.File != tc.wantFile || got.Options[60] != tc.want60 || got.SIAddr != "192.168.1.21" {
				t.Errorf("%s: %s answered %+v", tc.pcap, req.MessageType(), got)
			}
		}
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	base := func(mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
		return msg(t, dhcpv4.MessageTypeRequest, stranger, mods...)
	}
	ack := func(req *dhcpv4.DHCPv4, mt dhcpv4.MessageType, yi string) *dhcpv4.DHCPv4 {
		r, _ := dhcpv4.NewReplyFromRequest(req, dhcpv4.WithMessageType(mt), dhcpv4.WithYourIP(net.ParseIP(yi)))
		return r
	}
	for _, tc := range []struct {
		name string
		req  *dhcpv4.DHCPv4
		mt   dhcpv4.MessageType
		want string
	}{
		{"relay", base(dhcpv4.WithGatewayIP(net.ParseIP("10.0.0.1"))), dhcpv4.MessageTypeAck, "10.0.0.1:67"},
		{"relay nak", base(dhcpv4.WithGatewayIP(net.ParseIP("10.0.0.1"))), dhcpv4.MessageTypeNak, "10.0.0.1:67"},
		{"nak", base(dhcpv4.WithClientIP(net.ParseIP("192.168.1.5"))), dhcpv4.MessageTypeNak, "255.255.255.255:68"},
		{"ciaddr", base(dhcpv4.WithClientIP(net.ParseIP("192.168.1.5"))), dhcpv4.MessageTypeAck, "192.168.1.5:68"},
		{"broadcast bit", base(dhcpv4.WithBroadcast(true)), dhcpv4.MessageTypeAck, "255.255.255.255:68"},
		{"hardware", base(), dhcpv4.MessageTypeAck, "192.168.1.160:68 02:00:00:00:00:01"},
	} {
		d := Route(tc.req, ack(tc.req, tc.mt, "192.168.1.160"))
		got := d.Addr.String()
		if d.MAC != nil {
			got += " " + d.MAC.String()
		}
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func FuzzRespond(f *testing.F) {
	for _, p := range []string{"testdata/ipxe-bios-dhcp.pcap", "testdata/ovmf-uefi-dhcp-tftp.pcap"} {
		for _, r := range capturedRequests(f, p) {
			f.Add(r.ToBytes())
		}
	}
	f.Add([]byte{1, 1, 6, 0})
	bootp := msg(f, dhcpv4.MessageTypeDiscover, station01)
	bootp.Options = dhcpv4.Options{}
	f.Add(bootp.ToBytes())
	vendorless := bootp.ToBytes()
	clear(vendorless[vendorOffset:])
	f.Add(vendorless)
	cfg := lab(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		req, foreign, err := parse(b)
		if err != nil {
			return
		}
		// Fresh state for every input, so that a finding reproduces from
		// its input alone and no pool runs out over a long run.
		d := fixtureFor(t, cfg).r.Respond(req, in)
		if d.Reply != nil {
			if out := d.Reply.ToBytes(); foreign != nil {
				echoVendor(out, foreign)
			}
			Route(req, d.Reply)
		}
		if d.Reply == nil && d.Commit == nil && d.Reason == "" {
			t.Fatal("no reply and no reason")
		}
	})
}

// With iPXE scripts on, a client that is already iPXE gets its script's URL
// instead of the boot program (no second iPXE, no loader); others do not.
func TestIPXEScriptForIPXEClients(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.r.IPXEScript = func(mac net.HardwareAddr, server netip.Addr) string {
		return "http://" + server.String() + ":8080/ipxe/" + mac.String() + ".ipxe"
	}
	disc := msg(t, dhcpv4.MessageTypeDiscover, station01, pxeBIOS())
	if got := summarize(f.do(disc), disc).File; got != "http://192.168.1.21:8080/ipxe/00:18:e7:42:84:3a.ipxe" {
		t.Errorf("iPXE client boot file %q", got)
	}
	plain := msg(t, dhcpv4.MessageTypeDiscover, station02, func(d *dhcpv4.DHCPv4) {
		d.UpdateOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00000:UNDI:002001"))
	})
	if got := summarize(f.do(plain), plain).File; got != "pxelinux.0" {
		t.Errorf("PXE ROM without iPXE got %q, want pxelinux.0", got)
	}
}

// TestOneAddressPerClient: a client bound to a pool address that asks for
// another free one (INIT-REBOOT) is NAKed and offered its own again, so one
// client identity never holds two addresses of a subnet; the same holds for
// a client identifier sent from another MAC. A released or expired lease no
// longer counts.
func TestOneAddressPerClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ip := bind(t, f, stranger)
	other := "192.168.1.180"
	if ip == other {
		t.Fatalf("test needs %s free", other)
	}
	grab := func(mac net.HardwareAddr, mods ...dhcpv4.Modifier) Decision {
		return f.do(msg(t, dhcpv4.MessageTypeRequest, mac, append([]dhcpv4.Modifier{requested(other)}, mods...)...))
	}
	d := grab(stranger)
	if d.Reply == nil || d.Reply.MessageType() != dhcpv4.MessageTypeNak || d.Commit != nil {
		t.Fatalf("second address for a bound client: %+v", d)
	}
	if want := "init-reboot nak: client already holds " + ip + " in 192.168.1.0/24"; d.Reason != want {
		t.Errorf("reason %q, want %q", d.Reason, want)
	}
	if _, held := f.alloc.Get(netip.MustParseAddr(other)); held {
		t.Errorf("%s recorded although NAKed", other)
	}
	disc := msg(t, dhcpv4.MessageTypeDiscover, stranger)
	if got := summarize(f.do(disc), disc).YIAddr; got != ip {
		t.Errorf("after the NAK the client is offered %s, want its own %s", got, ip)
	}

	// One client identifier (option 61) behind two MACs is one client.
	id := dhcpv4.WithOption(dhcpv4.OptClientIdentifier([]byte{0xff, 0, 0, 0, 1, 0, 1}))
	withID := func(mac net.HardwareAddr) string {
		t.Helper()
		o := f.do(msg(t, dhcpv4.MessageTypeDiscover, mac, id))
		if o.Reply == nil {
			t.Fatalf("no offer: %s", o.Reason)
		}
		a := f.do(msg(t, dhcpv4.MessageTypeRequest, mac, id, requested(o.Reply.YourIPAddr.String()), serverID("192.168.1.21")))
		if a.Reply == nil || a.Reply.MessageType() != dhcpv4.MessageTypeAck {
			t.Fatalf("no ACK: %s", a.Reason)
		}
		return a.Reply.YourIPAddr.String()
	}
	idIP := withID(stranger2)
	if d := grab(mustMAC("02:00:00:00:00:77"), id); d.Commit != nil {
		t.Errorf("client id holding %s got %s too from another MAC", idIP, other)
	}

	// Released: the client may take another address.
	rel := msg(t, dhcpv4.MessageTypeRelease, stranger, dhcpv4.WithClientIP(net.ParseIP(ip)), serverID("192.168.1.21"))
	if d := f.do(rel); d.Commit == nil {
		t.Fatalf("release: %+v", d)
	}
	if d := grab(stranger); d.Commit == nil || d.Commit.IP.String() != other {
		t.Errorf("after RELEASE, request for %s: %+v", other, d)
	}
	// Expired: likewise (12 h lease in the lab network).
	f.clock.t = f.clock.t.Add(13 * time.Hour)
	if d := f.do(msg(t, dhcpv4.MessageTypeRequest, stranger2, id, requested("192.168.1.181"))); d.Commit == nil {
		t.Errorf("after its lease of %s expired, request for another address: %+v", idIP, d)
	}
}

// httpUEFI is OVMF's UEFI HTTP Boot client, as the lab notes and EDK2's
// HttpBootDxe describe it: option 60 HTTPClient with arch 16, option 93 16.
func httpUEFI(d *dhcpv4.DHCPv4) {
	d.UpdateOption(dhcpv4.OptClassIdentifier("HTTPClient:Arch:00016:UNDI:003001"))
	d.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientSystemArchitectureType, []byte{0, 16}))
}

// asking sets the parameter request list of m (after msg, which clears it).
func asking(m *dhcpv4.DHCPv4, codes ...dhcpv4.OptionCode) *dhcpv4.DHCPv4 {
	m.UpdateOption(dhcpv4.OptParameterRequestList(codes...))
	return m
}

func TestUEFIHTTPBoot(t *testing.T) {
	t.Parallel()
	long := "http://boot.example.com/" + strings.Repeat("x", 120) + ".efi"
	for _, tc := range []struct {
		name  string
		edit  func(*config.Config)
		prl   []dhcpv4.OptionCode
		file  string // the file field
		opt67 string
		opt60 string
	}{
		{
			name: "a path of the root becomes a URL of pxed's HTTP server",
			edit: func(c *config.Config) { c.Boot.Files["http-efi-x64"] = "/snponly.efi" },
			file: "http://192.168.1.21:8080/snponly.efi", opt67: "http://192.168.1.21:8080/snponly.efi", opt60: "HTTPClient",
		},
		{
			name: "boot.https: a URL of pxed's HTTPS server",
			edit: func(c *config.Config) {
				c.Boot.Files["http-efi-x64"] = "/snponly.efi"
				c.HTTP.TLS.Address = ":8443"
				on := true
				c.Boot.HTTPS = &on
			},
			file: "https://192.168.1.21:8443/snponly.efi", opt67: "https://192.168.1.21:8443/snponly.efi", opt60: "HTTPClient",
		},
		{
			name: "a host that says https false under a network that says true",
			edit: func(c *config.Config) {
				c.Boot.Files["http-efi-x64"] = "/snponly.efi"
				c.HTTP.TLS.Address = ":8443"
				on, off := true, false
				c.Boot.HTTPS = &on
				for i := range c.Hosts {
					c.Hosts[i].Boot = &config.Boot{HTTPS: &off}
				}
			},
			file: "http://192.168.1.21:8080/snponly.efi", opt67: "http://192.168.1.21:8080/snponly.efi", opt60: "HTTPClient",
		},
		{
			name: "a URL is given as it is",
			edit: func(c *config.Config) { c.Boot.Files["16"] = "http://10.0.0.5/boot/grubx64.efi" },
			file: "http://10.0.0.5/boot/grubx64.efi", opt67: "http://10.0.0.5/boot/grubx64.efi", opt60: "HTTPClient",
		},
		{
			name:  "a URL too long for the file field goes in option 67 only",
			edit:  func(c *config.Config) { c.Boot.Files["http-efi-x64"] = long },
			opt67: long, opt60: "HTTPClient",
		},
		{
			name: "option 67 only when asked for",
			edit: func(c *config.Config) { c.Boot.Files["http-efi-x64"] = "snponly.efi" },
			prl:  []dhcpv4.OptionCode{dhcpv4.OptionSubnetMask},
			file: "http://192.168.1.21:8080/snponly.efi", opt60: "HTTPClient",
		},
		{
			name: "http_image: the URL of the machine's RAM-disk image",
			edit: func(c *config.Config) {
				c.Boot.Files["http-efi-x64"] = "debian-installer/amd64/bootnetx64.efi"
				on := true
				c.Boot.HTTPImage = &on
			},
			file: "http://192.168.1.21:8080/image/http-efi-x64/00-18-e7-42-85-21.img", opt67: "http://192.168.1.21:8080/image/http-efi-x64/00-18-e7-42-85-21.img", opt60: "HTTPClient",
		},
		{
			name: "http_image leaves a URL as it is",
			edit: func(c *config.Config) {
				c.Boot.Files["http-efi-x64"] = "http://10.0.0.5/boot.img"
				on := true
				c.Boot.HTTPImage = &on
			},
			file: "http://10.0.0.5/boot.img", opt67: "http://10.0.0.5/boot.img", opt60: "HTTPClient",
		},
		{
			name: "no entry for the HTTP architecture: not the PXE default either",
		},
		{
			name: "a path while pxed serves no HTTP: no URL to give",
			edit: func(c *config.Config) {
				c.Boot.Files["http-efi-x64"] = "snponly.efi"
				c.HTTP.Enabled = false
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.edit)
			prl := tc.prl
			if prl == nil {
				// EDK2 asks for the boot file name (HttpBootDhcp4.c).
				prl = []dhcpv4.OptionCode{dhcpv4.OptionSubnetMask, dhcpv4.OptionClassIdentifier, dhcpv4.OptionBootfileName}
			}
			disc := asking(msg(t, dhcpv4.MessageTypeDiscover, station02, httpUEFI), prl...)
			got := summarize(f.do(disc), disc, 60, 67)
			want := summary{
				Type: "OFFER", YIAddr: "192.168.1.102", SIAddr: "0.0.0.0", File: tc.file, ServerID: "192.168.1.21",
				Kind: KindHardware, Options: map[uint8]string{},
			}
			if tc.opt67 != "" {
				want.Options[67] = tc.opt67
			}
			if tc.opt60 != "" {
				want.Options[60] = tc.opt60
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("OFFER (-want +got):\n%s", diff)
			}
		})
	}
}

// TestARM64UEFI checks the offers of AAVMF (EDK2 for arm64, QEMU virt):
// its PXE client (option 93 = 11, PXEClient:Arch:00011) gets the efi-arm64
// loader by TFTP; its HTTP Boot client (option 93 = 19,
// HTTPClient:Arch:00019) gets a URL only from its own http-efi-arm64 entry,
// never the PXE loader, since Debian 12's GRUB started over HTTP Boot cannot
// read its config (docs/firmware.md).
func TestARM64UEFI(t *testing.T) {
	t.Parallel()
	arm64 := func(class string, arch byte) dhcpv4.Modifier {
		return func(d *dhcpv4.DHCPv4) {
			d.UpdateOption(dhcpv4.OptClassIdentifier(class + ":Arch:000" + strconv.Itoa(int(arch)) + ":UNDI:003001"))
			d.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientSystemArchitectureType, []byte{0, arch}))
		}
	}
	prl := []dhcpv4.OptionCode{dhcpv4.OptionSubnetMask, dhcpv4.OptionClassIdentifier, dhcpv4.OptionBootfileName}
	for _, tc := range []struct {
		name  string
		http  bool
		edit  func(*config.Config)
		file  string
		opt60 string
	}{
		{name: "PXE: the efi-arm64 loader", file: "debian-installer/arm64/grubaa64.efi"},
		{name: "HTTP Boot without its own entry: an address only", http: true},
		{
			name: "HTTP Boot with http-efi-arm64: its URL", http: true,
			edit: func(c *config.Config) { c.Boot.Files["http-efi-arm64"] = "arm64/boot.img" },
			file: "http://192.168.1.21:8080/arm64/boot.img", opt60: "HTTPClient",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *config.Config) {
				c.Boot.Files["efi-arm64"] = "debian-installer/arm64/grubaa64.efi"
				if tc.edit != nil {
					tc.edit(c)
				}
			})
			client := arm64("PXEClient", 11)
			if tc.http {
				client = arm64("HTTPClient", 19)
			}
			disc := asking(msg(t, dhcpv4.MessageTypeDiscover, station02, client), prl...)
			got := summarize(f.do(disc), disc, 60, 67)
			want := summary{Type: "OFFER", YIAddr: "192.168.1.102", SIAddr: "0.0.0.0", File: tc.file, ServerID: "192.168.1.21",
				Kind: KindHardware, Options: map[uint8]string{}}
			if tc.file != "" {
				want.Options[67] = tc.file
			}
			if tc.opt60 != "" {
				want.Options[60] = tc.opt60
			}
			if !tc.http {
				want.SIAddr = "192.168.1.21"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("OFFER (-want +got):\n%s", diff)
			}
		})
	}
}
