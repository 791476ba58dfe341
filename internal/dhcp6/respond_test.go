package dhcp6

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/pxe"
)

const labYAML = `
dhcp6:
  preference: 255
  rapid_commit: true
  lease_time: 1h
  subnets:
    - prefix: 2001:db8:1::/64
      pools: [{start: "2001:db8:1::1000", end: "2001:db8:1::1fff"}]
      dns_servers: ["2001:db8:1::21"]
      domain_search: [test.lan]
    - prefix: 2001:db8:2::/64
      pools: ["2001:db8:2::1000-2001:db8:2::1001"]
http: {enabled: true, address: ":8080", ipxe_script: true}
boot:
  file: pxelinux.0
  files:
    efi-x64: debian-installer/amd64/grubx64.efi
    http-efi-x64: ipxe/snponly.efi
hosts:
  - name: station-01
    mac: 00:18:e7:42:84:3a
    ip6: 2001:db8:1::101
`

var (
	serverAddr = netip.MustParseAddr("2001:db8:1::21")
	in         = Ingress{Iface: "br0", Addr: serverAddr}
	station01  = mustMAC("00:18:e7:42:84:3a")
	stranger   = mustMAC("02:00:00:00:00:01")
	serverDUID = &dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: 1, LinkLayerAddr: mustMAC("02:00:00:00:00:21")}
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

type fixture struct {
	t     testing.TB
	r     *Responder
	alloc *lease.Allocator
	clock *clock
}

func newFixture(t testing.TB, edit func(*config.Config)) *fixture {
	t.Helper()
	cfg, err := config.Parse("lab.yaml", []byte(labYAML))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	alloc, err := lease.NewAllocator(context.Background(), lease.NewMem(c.now), c.now, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewResponder(cfg, alloc, serverDUID, c.now)
	if err != nil {
		t.Fatal(err)
	}
	r.IPXEScript = func(mac net.HardwareAddr, server netip.Addr) string {
		return "http://" + netip.AddrPortFrom(server, 8080).String() + "/ipxe/" + mac.String() + ".ipxe"
	}
	return &fixture{t: t, r: r, alloc: alloc, clock: c}
}

// poolsServed reports whether the lease allocator hands out IPv6 ranges
// (it did IPv4 only before).
func poolsServed() (ok bool) {
	alloc, _ := lease.NewAllocator(context.Background(), lease.NewMem(time.Now), time.Now, time.Second)
	r := lease.Range{First: netip.MustParseAddr("2001:db8::1"), Last: netip.MustParseAddr("2001:db8::2")}
	defer func() { ok = recover() == nil && ok }()
	_, err := alloc.Offer(lease.Client{ID: []byte("probe")}, []lease.Range{r}, netip.Addr{})
	return err == nil
}

// needPools skips a test whose client is given a pool address while the
// lease allocator serves IPv4 ranges only.
func needPools(t *testing.T) {
	t.Helper()
	if !poolsServed() {
		t.Skip("lease.Allocator does not hand out IPv6 ranges yet")
	}
}

// commit records d's leases as the server does before replying.
func (f *fixture) commit(d Decision) {
	f.t.Helper()
	for _, l := range d.Commit {
		if err := f.alloc.Commit(context.Background(), l); err != nil {
			f.t.Fatalf("commit %s: %v", l.IP, err)
		}
	}
}

// client builds messages of one client: DUID-LL of mac, IAID 1.
type client struct {
	duid dhcpv6.DUID
	iaid [4]byte
}

func llClient(mac net.HardwareAddr) client {
	return client{duid: &dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: mac}, iaid: [4]byte{0, 0, 0, 1}}
}

func (c client) msg(mt dhcpv6.MessageType, opts ...dhcpv6.Option) *dhcpv6.Message {
	m := &dhcpv6.Message{MessageType: mt, TransactionID: dhcpv6.TransactionID{1, 2, 3}}
	m.AddOption(dhcpv6.OptClientID(c.duid))
	for _, o := range opts {
		m.AddOption(o)
	}
	return m
}

// ia is an IA_NA of the client, holding addrs.
func (c client) ia(addrs ...string) *dhcpv6.OptIANA {
	ia := &dhcpv6.OptIANA{IaId: c.iaid}
	for _, a := range addrs {
		ia.Options.Add(&dhcpv6.OptIAAddress{IPv6Addr: net.ParseIP(a), PreferredLifetime: time.Hour, ValidLifetime: time.Hour})
	}
	return ia
}

func serverID() dhcpv6.Option { return dhcpv6.OptServerID(serverDUID) }

// roundTrip encodes and parses m as the server would receive it.
func roundTrip(t *testing.T, m dhcpv6.DHCPv6) dhcpv6.DHCPv6 {
	t.Helper()
	p, err := dhcpv6.FromBytes(m.ToBytes())
	if err != nil {
		t.Fatalf("parsing what was built: %v", err)
	}
	return p
}

// summary is what a reply says, in short, for comparisons.
type summary struct {
	Type   string
	Status string   // top-level status code, "" for none
	IAs    []string // per IA: its addresses "addr/valid" or its status
	Boot   string
	Other  []string // more option codes, in order
}

func summarize(m *dhcpv6.Message) summary {
	s := summary{Type: m.MessageType.String()}
	if st := m.Options.Status(); st != nil {
		s.Status = st.StatusCode.String()
	}
	for _, ia := range m.Options.IANA() {
		var v string
		for _, a := range ia.Options.Addresses() {
			v += a.IPv6Addr.String() + "/" + a.ValidLifetime.String() + " "
		}
		if st := ia.Options.Status(); st != nil {
			v += st.StatusCode.String()
		}
		s.IAs = append(s.IAs, v)
	}
	s.Boot = m.Options.BootFileURL()
	for _, o := range m.Options.Options {
		switch o.Code() {
		case dhcpv6.OptionClientID, dhcpv6.OptionServerID, dhcpv6.OptionIANA, dhcpv6.OptionStatusCode, dhcpv6.OptionBootfileURL:
		default:
			s.Other = append(s.Other, o.Code().String())
		}
	}
	return s
}

func TestRespond(t *testing.T) {
	t.Parallel()
	st := llClient(station01)
	oro := dhcpv6.OptRequestedOption(dhcpv6.OptionDNSRecursiveNameServer, dhcpv6.OptionDomainSearchList)
	tests := []struct {
		name   string
		msg    *dhcpv6.Message
		in     Ingress
		pools  bool // needs the allocator's IPv6 pools
		want   summary
		reason string // when no reply
	}{
		{
			name: "Solicit from a reserved host: Advertise with its ip6 and preference",
			msg:  st.msg(dhcpv6.MessageTypeSolicit, st.ia()),
			want: summary{Type: "ADVERTISE", IAs: []string{"2001:db8:1::101/1h0m0s "}, Other: []string{"Preference"}},
		},
		{
			name: "Solicit with Rapid Commit: Reply",
			msg:  st.msg(dhcpv6.MessageTypeSolicit, st.ia(), &dhcpv6.OptionGeneric{OptionCode: dhcpv6.OptionRapidCommit}),
			want: summary{Type: "REPLY", IAs: []string{"2001:db8:1::101/1h0m0s "}, Other: []string{"Rapid Commit"}},
		},
		{
			name: "Solicit asking for DNS and search list",
			msg:  st.msg(dhcpv6.MessageTypeSolicit, st.ia(), oro),
			want: summary{Type: "ADVERTISE", IAs: []string{"2001:db8:1::101/1h0m0s "},
				Other: []string{"DNS", "Domain Search List", "Preference"}},
		},
		{
			name:  "Solicit from a stranger: a pool address",
			msg:   llClient(stranger).msg(dhcpv6.MessageTypeSolicit, llClient(stranger).ia()),
			pools: true,
			want:  summary{Type: "ADVERTISE", IAs: []string{"2001:db8:1::1000/1h0m0s "}, Other: []string{"Preference"}},
		},
		{
			name:   "Solicit with a Server Identifier is dropped (§16.2)",
			msg:    st.msg(dhcpv6.MessageTypeSolicit, st.ia(), serverID()),
			reason: "SOLICIT with a Server Identifier",
		},
		{
			name:   "Solicit without a Client Identifier is dropped",
			msg:    &dhcpv6.Message{MessageType: dhcpv6.MessageTypeSolicit},
			reason: "SOLICIT without a Client Identifier",
		},
		{
			name: "Request for the reservation",
			msg:  st.msg(dhcpv6.MessageTypeRequest, serverID(), st.ia("2001:db8:1::101")),
			want: summary{Type: "REPLY", IAs: []string{"2001:db8:1::101/1h0m0s "}},
		},
		{
			name: "Request for another address: the reservation, the other with lifetime 0",
			msg:  st.msg(dhcpv6.MessageTypeRequest, serverID(), st.ia("2001:db8:1::1234")),
			want: summary{Type: "REPLY", IAs: []string{"2001:db8:1::101/1h0m0s 2001:db8:1::1234/0s "}},
		},
		{
			name: "Request for another server is dropped (§16.4)",
			msg: st.msg(dhcpv6.MessageTypeRequest, st.ia(),
				dhcpv6.OptServerID(&dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: stranger})),
			reason: "REQUEST for another server",
		},
		{
			name: "Request sent by unicast: UseMulticast (§18.4)",
			msg:  st.msg(dhcpv6.MessageTypeRequest, serverID(), st.ia()),
			in:   Ingress{Iface: "br0", Addr: serverAddr, Unicast: true},
			want: summary{Type: "REPLY", Status: "UseMulticast"},
		},
		{
			name:   "Solicit sent by unicast is dropped",
			msg:    st.msg(dhcpv6.MessageTypeSolicit, st.ia()),
			in:     Ingress{Iface: "br0", Addr: serverAddr, Unicast: true},
			reason: "SOLICIT sent by unicast",
		},
		{
			name: "Renew without a binding: NoBinding",
			msg:  st.msg(dhcpv6.MessageTypeRenew, serverID(), st.ia("2001:db8:1::101")),
			want: summary{Type: "REPLY", IAs: []string{"2001:db8:1::101/0s NoBinding"}},
		},
		{
			name: "Confirm on link: Success",
			msg:  st.msg(dhcpv6.MessageTypeConfirm, st.ia("2001:db8:1::101")),
			want: summary{Type: "REPLY", Status: "Success"},
		},
		{
			name: "Confirm off link: NotOnLink",
			msg:  st.msg(dhcpv6.MessageTypeConfirm, st.ia("2001:db8:9::101")),
			want: summary{Type: "REPLY", Status: "NotOnLink"},
		},
		{
			name:   "Confirm without addresses: no reply (§18.3.3)",
			msg:    st.msg(dhcpv6.MessageTypeConfirm, st.ia()),
			reason: "Confirm with no address",
		},
		{
			name: "Release of an address not held: NoBinding in the IA, Success",
			msg:  st.msg(dhcpv6.MessageTypeRelease, serverID(), st.ia("2001:db8:1::101")),
			want: summary{Type: "REPLY", Status: "Success", IAs: []string{"NoBinding"}},
		},
		{
			name: "Decline of an address not held: NoBinding in the IA, Success",
			msg:  st.msg(dhcpv6.MessageTypeDecline, serverID(), st.ia("2001:db8:1::101")),
			want: summary{Type: "REPLY", Status: "Success", IAs: []string{"NoBinding"}},
		},
		{
			name: "Information-request: options only",
			msg:  st.msg(dhcpv6.MessageTypeInformationRequest, oro),
			want: summary{Type: "REPLY", Other: []string{"DNS", "Domain Search List"}},
		},
		{
			name:   "Information-request with an IA is dropped (§16.12)",
			msg:    st.msg(dhcpv6.MessageTypeInformationRequest, st.ia()),
			reason: "Information-request with an IA option",
		},
		{
			name:   "an Advertise is not for a server",
			msg:    st.msg(dhcpv6.MessageTypeAdvertise, serverID()),
			reason: "message type ADVERTISE is not for a server",
		},
		{
			name:   "an interface without a global address serves no direct request",
			msg:    st.msg(dhcpv6.MessageTypeSolicit, st.ia()),
			in:     Ingress{Iface: "br1"},
			reason: "interface br1 has no global IPv6 address to tell its link",
		},
		{
			name:   "no subnet for the interface's address",
			msg:    st.msg(dhcpv6.MessageTypeSolicit, st.ia()),
			in:     Ingress{Iface: "br1", Addr: netip.MustParseAddr("2001:db8:9::1")},
			reason: "no dhcp6 subnet for link 2001:db8:9::1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.pools {
				needPools(t)
			}
			f := newFixture(t, nil)
			ing := tt.in
			if ing.Iface == "" {
				ing = in
			}
			d := f.r.Respond(roundTrip(t, tt.msg), ing)
			if tt.reason != "" {
				if d.Reply != nil || d.Reason != tt.reason {
					t.Fatalf("Respond = reply %v, reason %q; want no reply, %q", d.Reply != nil, d.Reason, tt.reason)
				}
				return
			}
			if d.Reply == nil {
				t.Fatalf("no reply: %s", d.Reason)
			}
			got := roundTrip(t, d.Reply).(*dhcpv6.Message)
			if diff := cmp.Diff(tt.want, summarize(got)); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			if got.TransactionID != tt.msg.TransactionID {
				t.Errorf("transaction ID %v, want %v", got.TransactionID, tt.msg.TransactionID)
			}
			if cid := got.Options.ClientID(); tt.msg.Options.ClientID() != nil && (cid == nil || !cid.Equal(tt.msg.Options.ClientID())) {
				t.Errorf("Client Identifier %v, want %v", cid, tt.msg.Options.ClientID())
			}
			if sid := got.Options.ServerID(); sid == nil || !sid.Equal(serverDUID) {
				t.Errorf("Server Identifier %v, want %v", sid, serverDUID)
			}
			if want := duidMAC(tt.msg.Options.ClientID().ToBytes()); d.MAC.String() != want.String() {
				t.Errorf("MAC %v, want the DUID-LL's %v", d.MAC, want)
			}
		})
	}
}

// TestLeaseLifecycle walks a reserved host through Request, Renew, Rebind,
// Release and a new Request, and another client through Decline, with
// the leases committed as the server commits them.
func TestLeaseLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	st := llClient(station01)
	do := func(m *dhcpv6.Message) (Decision, summary) {
		t.Helper()
		d := f.r.Respond(roundTrip(t, m), in)
		if d.Reply == nil {
			t.Fatalf("%s: no reply: %s", m.MessageType, d.Reason)
		}
		f.commit(d)
		return d, summarize(d.Message)
	}
	d, got := do(st.msg(dhcpv6.MessageTypeRequest, serverID(), st.ia()))
	if len(d.Commit) != 1 || d.Commit[0].IP != netip.MustParseAddr("2001:db8:1::101") || d.Commit[0].Hostname != "station-01" ||
		string(d.Commit[0].MAC) != string(station01) || d.Commit[0].State != lease.Bound {
		t.Fatalf("Request commits %+v, want station-01's 2001:db8:1::101 bound", d.Commit)
	}
	// A reservation is bound to the host, not to the IA (holder).
	wantID := append([]byte("v6h:"), station01...)
	if string(d.Commit[0].ClientID) != string(wantID) {
		t.Errorf("lease client ID %x, want v6h: + MAC %x", d.Commit[0].ClientID, wantID)
	}
	f.clock.t = f.clock.t.Add(30 * time.Minute)
	for _, mt := range []dhcpv6.MessageType{dhcpv6.MessageTypeRenew, dhcpv6.MessageTypeRebind} {
		opts := []dhcpv6.Option{st.ia("2001:db8:1::101")}
		if mt == dhcpv6.MessageTypeRenew {
			opts = append(opts, serverID())
		}
		d, got = do(st.msg(mt, opts...))
		if want := []string{"2001:db8:1::101/1h0m0s "}; !cmp.Equal(got.IAs, want) || len(d.Commit) != 1 ||
			!d.Commit[0].Expires.Equal(f.clock.t.Add(time.Hour)) {
			t.Errorf("%s: IAs %v commit %+v, want the address for another hour", mt, got.IAs, d.Commit)
		}
	}
	d, got = do(st.msg(dhcpv6.MessageTypeRelease, serverID(), st.ia("2001:db8:1::101")))
	if got.Status != "Success" || len(got.IAs) != 0 || len(d.Commit) != 1 || d.Commit[0].State != lease.Released {
		t.Errorf("Release: %+v commit %+v, want Success and the lease released", got, d.Commit)
	}
	_, got = do(st.msg(dhcpv6.MessageTypeRenew, serverID(), st.ia("2001:db8:1::101")))
	if want := []string{"2001:db8:1::101/0s NoBinding"}; !cmp.Equal(got.IAs, want) {
		t.Errorf("Renew after Release: IAs %v, want %v", got.IAs, want)
	}
	d, _ = do(st.msg(dhcpv6.MessageTypeDecline, serverID(), st.ia("2001:db8:1::101")))
	if len(d.Commit) != 0 {
		t.Errorf("Decline of a released address commits %+v", d.Commit)
	}
	do(st.msg(dhcpv6.MessageTypeRequest, serverID(), st.ia()))
	d, _ = do(st.msg(dhcpv6.MessageTypeDecline, serverID(), st.ia("2001:db8:1::101")))
	if len(d.Commit) != 1 || d.Commit[0].State != lease.Declined || !d.Commit[0].Expires.After(f.clock.t) {
		t.Errorf("Decline commits %+v, want the address quarantined", d.Commit)
	}
}

// TestReservationEveryIA is EDK2 with the RA's M flag (docs/firmware.md):
// its IPv6 stack and then its PXE client solicit and request, each with an
// IAID of its own and the same DUID-LLT. Both IAs get the host's
// reservation; the stack's IA is released when PXE sets its address, the
// PXE client's when the loader starts; a pool client's IAs each get their
// own address.
func TestReservationEveryIA(t *testing.T) {
	t.Parallel()
	needPools(t)
	f := newFixture(t, nil)
	duid := &dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: 0x30a1b2c3, LinkLayerAddr: station01}
	stack := client{duid: duid, iaid: [4]byte{0xef, 0x00, 0x11, 0x95}}
	pxeIA := client{duid: duid, iaid: [4]byte{0x00, 0x00, 0x00, 0x2a}}
	const reserved = "2001:db8:1::101"
	exchange := func(c client, opts ...dhcpv6.Option) {
		t.Helper()
		adv := f.r.Respond(roundTrip(t, c.msg(dhcpv6.MessageTypeSolicit, append(opts, c.ia())...)), in)
		if s := summarize(adv.Message); s.Type != "ADVERTISE" || !cmp.Equal(s.IAs, []string{reserved + "/1h0m0s "}) {
			t.Fatalf("IAID %x Solicit: %+v, want %s advertised", c.iaid, s, reserved)
		}
		rep := f.r.Respond(roundTrip(t, c.msg(dhcpv6.MessageTypeRequest, append(opts, serverID(), c.ia(reserved))...)), in)
		if s := summarize(rep.Message); s.Type != "REPLY" || !cmp.Equal(s.IAs, []string{reserved + "/1h0m0s "}) || len(rep.Commit) != 1 {
			t.Fatalf("IAID %x Request: %+v (%s), want %s", c.iaid, s, rep.Reason, reserved)
		}
		f.commit(rep)
	}
	exchange(stack, dhcpv6.OptRequestedOption(dhcpv6.OptionDNSRecursiveNameServer))
	exchange(pxeIA, dhcpv6.OptRequestedOption(dhcpv6.OptionBootfileURL), &dhcpv6.OptionGeneric{OptionCode: dhcpv6.OptionClientArchType, OptionData: []byte{0, 7}})
	if l, ok := f.alloc.Get(netip.MustParseAddr(reserved)); !ok || l.State != lease.Bound || l.Hostname != "station-01" {
		t.Fatalf("lease of %s: %+v, want bound to station-01", reserved, l)
	}
	// Either IA renews the host's address.
	for _, c := range []client{stack, pxeIA} {
		d := f.r.Respond(roundTrip(t, c.msg(dhcpv6.MessageTypeRenew, serverID(), c.ia(reserved))), in)
		if s := summarize(d.Message); !cmp.Equal(s.IAs, []string{reserved + "/1h0m0s "}) {
			t.Errorf("IAID %x Renew: IAs %v, want %s renewed", c.iaid, s.IAs, reserved)
		}
	}
	d := f.r.Respond(roundTrip(t, stack.msg(dhcpv6.MessageTypeRelease, serverID(), stack.ia(reserved))), in)
	f.commit(d)
	if len(d.Commit) != 1 || d.Commit[0].State != lease.Released {
		t.Errorf("stack's Release commits %+v, want %s released", d.Commit, reserved)
	}
	// The PXE client's Release then finds it released already; the
	// host's next boot gets it again.
	d = f.r.Respond(roundTrip(t, pxeIA.msg(dhcpv6.MessageTypeRelease, serverID(), pxeIA.ia(reserved))), in)
	if s := summarize(d.Message); s.Status != "Success" || len(d.Commit) != 0 {
		t.Errorf("PXE client's Release: %+v commit %+v, want Success and nothing to record", s, d.Commit)
	}
	exchange(client{duid: &dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: 0x30a1b2ff, LinkLayerAddr: station01}, iaid: pxeIA.iaid})

	// A machine of the pool: each IA its own address.
	other := &dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: 1, LinkLayerAddr: stranger}
	seen := map[string]bool{}
	for _, iaid := range [][4]byte{{0, 0, 0, 1}, {0, 0, 0, 2}} {
		c := client{duid: other, iaid: iaid}
		adv := f.r.Respond(roundTrip(t, c.msg(dhcpv6.MessageTypeSolicit, c.ia())), in)
		rep := f.r.Respond(roundTrip(t, c.msg(dhcpv6.MessageTypeRequest, serverID(), c.ia(adv.Addrs[0].String()))), in)
		f.commit(rep)
		if len(rep.Addrs) != 1 || seen[rep.Addrs[0].String()] {
			t.Errorf("pool client IAID %x: %v, want an address of its own", iaid, rep.Addrs)
			continue
		}
		seen[rep.Addrs[0].String()] = true
	}
}

// TestPoolLifecycle: a client without a reservation is advertised a pool
// address, which it then requests; a second client gets another; an
// exhausted pool answers NoAddrsAvail.
func TestPoolLifecycle(t *testing.T) {
	t.Parallel()
	needPools(t)
	f := newFixture(t, nil)
	link2 := Ingress{Iface: "br2", Addr: netip.MustParseAddr("2001:db8:2::1")}
	var got []string
	for i := range 3 {
		c := llClient(net.HardwareAddr{2, 0, 0, 0, 1, byte(i)})
		adv := f.r.Respond(roundTrip(t, c.msg(dhcpv6.MessageTypeSolicit, c.ia())), link2)
		if adv.Reply == nil {
			t.Fatalf("client %d: no Advertise: %s", i, adv.Reason)
		}
		if i == 2 {
			if s := summarize(adv.Message); s.Status != "NoAddrsAvail" || !adv.Exhausted || !adv.Refused {
				t.Errorf("client 3 on a pool of 2: %+v, want NoAddrsAvail", s)
			}
			continue
		}
		addr := adv.Addrs[0].String()
		rep := f.r.Respond(roundTrip(t, c.msg(dhcpv6.MessageTypeRequest, serverID(), c.ia(addr))), link2)
		f.commit(rep)
		if len(rep.Addrs) != 1 || rep.Addrs[0].String() != addr {
			t.Errorf("client %d: Request for %s gives %v", i, addr, rep.Addrs)
		}
		got = append(got, addr)
	}
	if want := []string{"2001:db8:2::1000", "2001:db8:2::1001"}; !cmp.Equal(got, want) {
		t.Errorf("addresses %v, want %v", got, want)
	}
}

// TestRelay: a request relayed twice is answered in two Relay-reply
// messages, each with its relay's addresses, hop count and Interface-Id
// echoed (RFC 8415 §19.3); the innermost relay's link-address picks the
// subnet, and its option 79 gives the MAC of a client whose DUID has none.
func TestRelay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := client{duid: &dhcpv6.DUIDEN{EnterpriseNumber: 9, EnterpriseIdentifier: []byte("station")}, iaid: [4]byte{0, 0, 0, 7}}
	inner, _ := dhcpv6.EncapsulateRelay(c.msg(dhcpv6.MessageTypeSolicit, c.ia()), dhcpv6.MessageTypeRelayForward,
		net.ParseIP("2001:db8:1::1"), net.ParseIP("fe80::1"))
	inner.AddOption(dhcpv6.OptInterfaceID([]byte("eth7")))
	inner.AddOption(dhcpv6.OptClientLinkLayerAddress(iana.HWTypeEthernet, station01))
	outer, _ := dhcpv6.EncapsulateRelay(inner, dhcpv6.MessageTypeRelayForward, net.ParseIP("2001:db8:77::1"), net.ParseIP("fe80::2"))
	outer.AddOption(dhcpv6.OptInterfaceID([]byte("up0")))
	d := f.r.Respond(roundTrip(t, outer), Ingress{Iface: "wan0"})
	if d.Reply == nil || !d.Relayed {
		t.Fatalf("no relayed reply: %s", d.Reason)
	}
	rr, ok := roundTrip(t, d.Reply).(*dhcpv6.RelayMessage)
	if !ok || rr.MessageType != dhcpv6.MessageTypeRelayReply || rr.HopCount != 1 ||
		!rr.LinkAddr.Equal(net.ParseIP("2001:db8:77::1")) || !rr.PeerAddr.Equal(net.ParseIP("fe80::2")) ||
		string(rr.Options.InterfaceID()) != "up0" {
		t.Fatalf("outer reply %v, want Relay-reply hop 1 with up0", d.Reply)
	}
	rr2, ok := rr.Options.RelayMessage().(*dhcpv6.RelayMessage)
	if !ok || rr2.HopCount != 0 || !rr2.PeerAddr.Equal(net.ParseIP("fe80::1")) || string(rr2.Options.InterfaceID()) != "eth7" {
		t.Fatalf("inner reply %v, want Relay-reply hop 0 with eth7", rr.Options.RelayMessage())
	}
	m, ok := rr2.Options.RelayMessage().(*dhcpv6.Message)
	if !ok || m.MessageType != dhcpv6.MessageTypeAdvertise {
		t.Fatalf("relayed message %v, want an Advertise", rr2.Options.RelayMessage())
	}
	if s := summarize(m); !cmp.Equal(s.IAs, []string{"2001:db8:1::101/1h0m0s "}) || d.Host != "station-01" || d.MAC.String() != station01.String() {
		t.Errorf("relayed client got %+v as host %q MAC %v, want station-01's reservation by option 79", s, d.Host, d.MAC)
	}
}

// TestRelayNesting: more than HOP_COUNT_LIMIT relays are refused, by the
// raw check before parsing and by Respond.
func TestRelayNesting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	st := llClient(station01)
	var m dhcpv6.DHCPv6 = st.msg(dhcpv6.MessageTypeSolicit, st.ia())
	for i := range HopCountLimit + 1 {
		m, _ = dhcpv6.EncapsulateRelay(m, dhcpv6.MessageTypeRelayForward, net.ParseIP("2001:db8:1::1"), net.ParseIP("fe80::1"))
		if i == HopCountLimit-1 {
			if d := f.r.Respond(roundTrip(t, m), in); d.Reply == nil {
				t.Errorf("%d relays: no reply: %s", HopCountLimit, d.Reason)
			}
		}
	}
	pkt := m.ToBytes()
	if n := nesting(pkt, HopCountLimit); n <= HopCountLimit {
		t.Errorf("nesting = %d, want over %d", n, HopCountLimit)
	}
	if d := f.r.Respond(roundTrip(t, m), in); d.Reply != nil {
		t.Errorf("%d relays answered", HopCountLimit+1)
	}
}

// TestBootOptions: the boot file URL by client kind and architecture, and
// only for clients that want one.
func TestBootOptions(t *testing.T) {
	t.Parallel()
	st := llClient(station01)
	arch := func(a iana.Arch) dhcpv6.Option { return dhcpv6.OptClientArchType(a) }
	vc := func(s string) dhcpv6.Option {
		return &dhcpv6.OptVendorClass{EnterpriseNumber: 343, Data: [][]byte{[]byte(s)}}
	}
	tests := []struct {
		name   string
		opts   []dhcpv6.Option
		want   string
		echoVC bool
	}{
		{"no boot client, no ORO: nothing", nil, "", false},
		{"ORO asks for option 59: the default file", []dhcpv6.Option{dhcpv6.OptRequestedOption(dhcpv6.OptionBootfileURL)},
			"tftp://[2001:db8:1::21]/pxelinux.0", false},
		{"EDK2 PXE, x64 UEFI", []dhcpv6.Option{arch(iana.EFI_X86_64), vc("PXEClient:Arch:00007:UNDI:003016")},
			"tftp://[2001:db8:1::21]/debian-installer/amd64/grubx64.efi", false},
		{"EDK2 HTTP Boot: http URL and HTTPClient echoed", []dhcpv6.Option{arch(iana.EFI_X86_64_HTTP), vc("HTTPClient:Arch:00016:UNDI:003016")},
			"http://[2001:db8:1::21]:8080/ipxe/snponly.efi", true},
		{"iPXE: its script", []dhcpv6.Option{arch(iana.EFI_X86_64), &dhcpv6.OptUserClass{UserClasses: [][]byte{[]byte("iPXE")}}},
			"http://[2001:db8:1::21]:8080/ipxe/00:18:e7:42:84:3a.ipxe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			d := f.r.Respond(roundTrip(t, st.msg(dhcpv6.MessageTypeSolicit, append(tt.opts, st.ia())...)), in)
			if d.Reply == nil {
				t.Fatalf("no reply: %s", d.Reason)
			}
			m := roundTrip(t, d.Reply).(*dhcpv6.Message)
			if got := m.Options.BootFileURL(); got != tt.want {
				t.Errorf("boot file URL %q, want %q", got, tt.want)
			}
			echoed := m.Options.VendorClass(343)
			if tt.echoVC != (len(echoed) == 1 && string(echoed[0]) == "HTTPClient") {
				t.Errorf("vendor class echoed %q, want HTTPClient: %v", echoed, tt.echoVC)
			}
		})
	}
	t.Run("arch from option 61 classifies as option 93", func(t *testing.T) {
		c, _ := classify(st.msg(dhcpv6.MessageTypeSolicit, arch(iana.EFI_ARM64)))
		if !c.HasArch || c.Arch != pxe.Arch(iana.EFI_ARM64) {
			t.Errorf("classify = %+v, want arch efi-arm64", c)
		}
	})
}
