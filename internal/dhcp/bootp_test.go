package dhcp

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/lease"
)

// bootpRequest is a BOOTREQUEST as a BOOTP client sends it (RFC 951, with
// the RFC 1497 cookie and no options: Debian's bootpc), read back from
// the wire so that the decision sees what the server would.
func bootpRequest(t *testing.T, mac net.HardwareAddr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	m := msg(t, dhcpv4.MessageTypeDiscover, mac, mods...)
	m.Options = dhcpv4.Options{}
	back, err := dhcpv4.FromBytes(m.ToBytes())
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func withBOOTP(mode config.BOOTP) func(*config.Config) {
	return func(c *config.Config) { c.DHCP.Subnets[0].BOOTP = mode }
}

// TestBOOTPDecisions: who gets a BOOTREPLY under each subnet setting
// (reserved by default, dynamic, off, proxy), and why the others are
// refused, as a type the counts and the timeline use.
func TestBOOTPDecisions(t *testing.T) {
	t.Parallel()
	proxy := func(c *config.Config) {
		c.DHCP.Subnets[0].Proxy, c.DHCP.Subnets[0].Pools = true, nil
		c.Hosts[0].IP = config.Addr{}
	}
	for _, c := range []struct {
		name    string
		edit    func(*config.Config)
		mac     net.HardwareAddr
		want    netip.Addr // invalid: no reply
		refused BOOTPRefusal
	}{
		{"reserved host, default", nil, station01, netip.MustParseAddr("192.168.1.101"), BOOTPAnswered},
		{"unreserved, default", nil, stranger, netip.Addr{}, BOOTPNotReserved},
		{"reserved host, reserved", withBOOTP(config.BOOTPReserved), station02, netip.MustParseAddr("192.168.1.102"), BOOTPAnswered},
		{"reserved host, dynamic", withBOOTP(config.BOOTPDynamic), station01, netip.MustParseAddr("192.168.1.101"), BOOTPAnswered},
		{"unreserved, dynamic", withBOOTP(config.BOOTPDynamic), stranger, netip.MustParseAddr("192.168.1.150"), BOOTPAnswered},
		{"reserved host, off", withBOOTP(config.BOOTPOff), station01, netip.Addr{}, BOOTPOff},
		{"unreserved, off", withBOOTP(config.BOOTPOff), stranger, netip.Addr{}, BOOTPOff},
		{"proxy subnet", proxy, station01, netip.Addr{}, BOOTPProxy},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, c.edit)
			d := f.do(bootpRequest(t, c.mac))
			if d.Refused != c.refused {
				t.Errorf("refused %v, want %v (%s)", d.Refused, c.refused, d.Reason)
			}
			if !c.want.IsValid() {
				if d.Reply != nil || d.Commit != nil {
					t.Errorf("answered or committed: %+v", d)
				}
				if d.Reason == "" {
					t.Error("no reason given")
				}
				return
			}
			if d.Reply == nil || d.Commit == nil {
				t.Fatalf("no reply or no lease: %+v", d)
			}
			if got := ip4(d.Reply.YourIPAddr); got != c.want {
				t.Errorf("yiaddr %s, want %s", got, c.want)
			}
			if d.Commit.IP != c.want || !d.Commit.Infinite() || d.Commit.State != lease.Bound {
				t.Errorf("lease %+v, want %s bound forever", d.Commit, c.want)
			}
		})
	}
}

// TestBOOTPReplyFields: a BOOTREPLY carries what RFC 951 and RFC 1497 give
// a BOOTP client (yiaddr, siaddr, file, the cookie and the configured
// options, host name and root path included) and nothing of DHCP's.
func TestBOOTPReplyFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) {
		c.DHCP.Subnets[0].Routers = []config.Addr{{Addr: netip.MustParseAddr("192.168.1.1")}}
		c.DHCP.Subnets[0].DNSServers = []config.Addr{{Addr: netip.MustParseAddr("192.168.1.53")}}
		root := "192.168.1.21:/srv/root"
		c.Hosts[0].Options = []config.Option{{Code: 17, String: &root}}
	})
	req := bootpRequest(t, station01, dhcpv4.WithTransactionID(dhcpv4.TransactionID{9, 8, 7, 6}))
	// A request of 576 octets: room for every option (see
	// TestBOOTPVendorRoom for RFC 951's 64).
	big := in
	big.Size = 576
	d := f.r.Respond(req, big)
	if d.Reply == nil {
		t.Fatalf("no reply: %s", d.Reason)
	}
	wire := d.Reply.ToBytes()
	// RFC 951 §3: a 300-octet message at least, its 64-octet vendor area
	// starting with the RFC 1497 magic cookie 99.130.83.99.
	if len(wire) < 300 || !bytes.Equal(wire[236:240], []byte{99, 130, 83, 99}) {
		t.Fatalf("reply of %d octets, vendor area % x…: not an RFC 951/1497 BOOTREPLY", len(wire), wire[236:240])
	}
	r, err := dhcpv4.FromBytes(wire)
	if err != nil {
		t.Fatal(err)
	}
	if r.OpCode != dhcpv4.OpcodeBootReply || r.TransactionID != req.TransactionID || !bytes.Equal(r.ClientHWAddr, station01) {
		t.Errorf("op %v xid %v chaddr %v: not the reply to the request", r.OpCode, r.TransactionID, r.ClientHWAddr)
	}
	for what, got := range map[string]string{
		"yiaddr": r.YourIPAddr.String(), "siaddr": r.ServerIPAddr.String(), "file": r.BootFileName,
		"subnet mask": net.IP(r.Options.Get(dhcpv4.OptionSubnetMask)).String(),
		"router":      net.IP(r.Options.Get(dhcpv4.OptionRouter)).String(),
		"DNS":         net.IP(r.Options.Get(dhcpv4.OptionDomainNameServer)).String(),
		"host name":   r.HostName(), "domain": r.DomainName(), "root path": r.RootPath(),
	} {
		want := map[string]string{
			"yiaddr": "192.168.1.101", "siaddr": "192.168.1.21", "file": "pxelinux.0", "subnet mask": "255.255.255.0",
			"router": "192.168.1.1", "DNS": "192.168.1.53", "host name": "station-01", "domain": "test.lan",
			"root path": "192.168.1.21:/srv/root",
		}[what]
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	// RFC 2132 §9: message type, server identifier and lease times are
	// DHCP's; their absence is what tells a client this is BOOTP.
	for _, o := range []dhcpv4.OptionCode{dhcpv4.OptionDHCPMessageType, dhcpv4.OptionServerIdentifier,
		dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionRenewTimeValue, dhcpv4.OptionRebindingTimeValue} {
		if r.Options.Has(o) {
			t.Errorf("BOOTREPLY carries %v", o)
		}
	}
}

// TestBOOTPDynamicLease: a BOOTP client given a pool address keeps it:
// the same address when it asks again, years later, and no other client
// is given it meanwhile.
func TestBOOTPDynamicLease(t *testing.T) {
	t.Parallel()
	f := newFixture(t, withBOOTP(config.BOOTPDynamic))
	first := f.do(bootpRequest(t, stranger))
	if first.Reply == nil {
		t.Fatalf("no reply: %s", first.Reason)
	}
	ip := ip4(first.Reply.YourIPAddr)
	f.clock.t = f.clock.t.Add(10 * 365 * 24 * time.Hour)
	f.alloc.Prune()
	if l, ok := f.alloc.Get(ip); !ok || !l.Active(f.clock.t) {
		t.Fatalf("lease of %s after ten years: %+v, %v; want still active", ip, l, ok)
	}
	other := f.do(msg(t, dhcpv4.MessageTypeDiscover, stranger2))
	if other.Reply == nil || ip4(other.Reply.YourIPAddr) == ip {
		t.Fatalf("a DHCP client was offered the BOOTP client's %s: %+v", ip, other)
	}
	again := f.do(bootpRequest(t, stranger))
	if again.Reply == nil || ip4(again.Reply.YourIPAddr) != ip {
		t.Fatalf("the BOOTP client asking again: %+v, want %s", again, ip)
	}
}

// TestBOOTPExhausted: with bootp: dynamic and no free address, a BOOTP
// client is refused as exhausted, and the pool warning counts it.
func TestBOOTPExhausted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) {
		c.DHCP.Subnets[0].BOOTP = config.BOOTPDynamic
		c.DHCP.Subnets[0].Pools = []config.Range{{First: netip.MustParseAddr("192.168.1.150"), Last: netip.MustParseAddr("192.168.1.150")}}
	})
	if d := f.do(bootpRequest(t, stranger)); d.Reply == nil {
		t.Fatalf("first client: %s", d.Reason)
	}
	d := f.do(bootpRequest(t, stranger2))
	if d.Reply != nil || d.Refused != BOOTPExhausted || !d.Exhausted {
		t.Errorf("second client with the pool full: %+v", d)
	}
}

// TestBOOTPRoute: where a BOOTREPLY goes (RFC 1542 §5.4). A client without
// an address is answered by broadcast even without the broadcast flag, as
// Debian's bootpc needs; through a relay the reply goes to the relay with
// the broadcast flag set, so that the relay broadcasts it (§4.1.2).
func TestBOOTPRoute(t *testing.T) {
	t.Parallel()
	bcast := netip.MustParseAddrPort("255.255.255.255:68")
	for _, c := range []struct {
		name      string
		mods      []dhcpv4.Modifier
		want      Destination
		broadcast bool // the reply's broadcast flag
	}{
		{"no address, no flag", nil, Destination{Kind: KindBroadcast, Addr: bcast}, false},
		{"no address, flag", []dhcpv4.Modifier{dhcpv4.WithBroadcast(true)}, Destination{Kind: KindBroadcast, Addr: bcast}, true},
		{"knows its address", []dhcpv4.Modifier{dhcpv4.WithClientIP(net.IPv4(192, 168, 1, 101))},
			Destination{Kind: KindUnicast, Addr: netip.MustParseAddrPort("192.168.1.101:68")}, false},
		{"relayed", []dhcpv4.Modifier{dhcpv4.WithGatewayIP(net.IPv4(192, 168, 1, 1))},
			Destination{Kind: KindRelay, Addr: netip.MustParseAddrPort("192.168.1.1:67")}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			req := bootpRequest(t, station01, c.mods...)
			d := f.do(req)
			if d.Reply == nil {
				t.Fatalf("no reply: %s", d.Reason)
			}
			if got := Route(req, d.Reply); got.Kind != c.want.Kind || got.Addr != c.want.Addr {
				t.Errorf("route %+v, want %+v", got, c.want)
			}
			if d.Reply.IsBroadcast() != c.broadcast {
				t.Errorf("reply broadcast flag %v, want %v", d.Reply.IsBroadcast(), c.broadcast)
			}
		})
	}
}

type eventList []events.Event

func (l *eventList) Record(e events.Event) { *l = append(*l, e) }

// TestBOOTPEvents: a BOOTP exchange is filed on the machine's timeline as
// BOOTP, under its own kinds, and a refusal as a refused step with the
// reason; the counts name BOOTP too.
func TestBOOTPEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var got eventList
	s := &Server{Responder: f.r, Alloc: f.alloc, Events: &got}
	for _, mac := range []net.HardwareAddr{station01, stranger} {
		req := bootpRequest(t, mac)
		d := f.do(req)
		if d.Reply != nil {
			s.stats.countMessage(req.MessageType(), ResultBootReply)
		} else {
			s.stats.countMessage(req.MessageType(), ResultNoReply)
			s.stats.countRefused(d.Refused)
		}
		s.record(req, d, "")
	}
	want := []struct {
		kind    events.Kind
		ip      string
		outcome events.Outcome
	}{
		{events.BOOTPRequest, "invalid IP", events.OutcomeOK},
		{events.BOOTPReply, "192.168.1.101", events.OutcomeOK},
		{events.BOOTPRequest, "invalid IP", events.OutcomeOK},
		{events.BOOTPRefused, "invalid IP", events.OutcomeRefused},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.Kind != w.kind || e.IP.String() != w.ip || e.Result() != w.outcome || e.Proto != "bootp" {
			t.Errorf("event %d: %v %s %v proto %q, want %v %s %v bootp", i, e.Kind, e.IP, e.Result(), e.Proto, w.kind, w.ip, w.outcome)
		}
	}
	if got[1].File != "pxelinux.0" || got[3].Detail == "" {
		t.Errorf("reply file %q, refusal detail %q", got[1].File, got[3].Detail)
	}
	counts := map[string]uint64{}
	s.stats.Messages(func(mt string, r Result, n uint64) { counts[mt+"/"+r.String()] = n })
	s.stats.BOOTPRefused(func(reason string, n uint64) { counts["refused/"+reason] = n })
	if counts["BOOTP/bootreply"] != 1 || counts["BOOTP/no_reply"] != 1 || counts["refused/not_reserved"] != 1 {
		t.Errorf("counts %v", counts)
	}
}

// TestBOOTPForeignVendor: a BOOTREQUEST whose vendor area is not RFC
// 1497's (zeros here, as RFC 951 clients with nothing to say send) is read
// for its fixed fields and answered with its own vendor area back, in a
// 300-octet BOOTREPLY; DHCP requests and RFC 1497 ones are left alone.
func TestBOOTPForeignVendor(t *testing.T) {
	t.Parallel()
	wire := bootpRequest(t, station01).ToBytes()
	for i := vendorOffset; i < len(wire); i++ {
		wire[i] = 0
	}
	fixed, ok := foreignVendor(wire)
	if !ok {
		t.Fatal("a zero vendor area is not read")
	}
	req, err := dhcpv4.FromBytes(fixed)
	if err != nil {
		t.Fatal(err)
	}
	d := newFixture(t, nil).do(req)
	if d.Reply == nil {
		t.Fatalf("no reply: %s", d.Reason)
	}
	out := echoVendor(d.Reply.ToBytes(), wire)
	if len(out) != 300 || !bytes.Equal(out[vendorOffset:], make([]byte, 64)) {
		t.Errorf("reply of %d octets, vendor area % x: want 300 with the zeros sent", len(out), out[vendorOffset:])
	}
	r, err := dhcpv4.FromBytes(fixedOrSelf(out))
	if err != nil || ip4(r.YourIPAddr).String() != "192.168.1.101" || r.BootFileName != "pxelinux.0" || r.OpCode != dhcpv4.OpcodeBootReply {
		t.Errorf("fixed fields of the reply: %v %v", r, err)
	}
	for name, pkt := range map[string][]byte{
		"RFC 1497":  bootpRequest(t, station01).ToBytes(),
		"DHCP":      msg(t, dhcpv4.MessageTypeDiscover, station01).ToBytes(),
		"BOOTREPLY": d.Reply.ToBytes(),
		"short":     wire[:200],
	} {
		if name == "BOOTREPLY" {
			pkt[vendorOffset] = 0
		}
		if _, ok := foreignVendor(pkt); ok {
			t.Errorf("%s taken for a foreign vendor area", name)
		}
	}
}

// fixedOrSelf reads a message whose vendor area may be foreign.
func fixedOrSelf(pkt []byte) []byte {
	if len(pkt) > vendorOffset+4 && !bytes.Equal(pkt[vendorOffset:vendorOffset+4], rfc1497Cookie) {
		out := append([]byte(nil), pkt...)
		copy(out[vendorOffset:], append(rfc1497Cookie[:4:4], 255))
		return out
	}
	return pkt
}

// TestBOOTPVendorRoom: a BOOTREPLY's vendor area is no larger than the
// request's (RFC 951's 64 octets for bootpc): what does not fit is left
// out, the mask, routers, DNS and root path kept first, and the reason
// says which; a 64-octet area is exactly what comes back.
func TestBOOTPVendorRoom(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) {
		c.DHCP.Subnets[0].Routers = []config.Addr{{Addr: netip.MustParseAddr("192.168.1.1")}}
		c.DHCP.Subnets[0].DNSServers = []config.Addr{{Addr: netip.MustParseAddr("192.168.1.53")}}
		root := "192.168.1.21:/srv/diskless/root"
		c.Hosts[0].Options = []config.Option{{Code: 17, String: &root}}
	})
	d := f.do(bootpRequest(t, station01))
	if d.Reply == nil {
		t.Fatalf("no reply: %s", d.Reason)
	}
	wire := d.Reply.ToBytes()
	if len(wire) != 300 {
		t.Errorf("reply of %d octets, want RFC 951's 300", len(wire))
	}
	r, err := dhcpv4.FromBytes(wire)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []dhcpv4.OptionCode{dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer, dhcpv4.OptionRootPath} {
		if !r.Options.Has(o) {
			t.Errorf("%v left out", o)
		}
	}
	// 4 (cookie) + 6 + 6 + 6 + 33 (root path) + 1 (End) = 56: neither the
	// host name (12) nor the domain (10) fits in 64 any more.
	if r.Options.Has(dhcpv4.OptionHostName) || r.Options.Has(dhcpv4.OptionDomainName) ||
		d.Reason != "bootreply without options [12 15]: the client's vendor area holds 64 octets" {
		t.Errorf("host name or domain sent; reason %q", d.Reason)
	}
	for n, want := range map[int]int{0: 2, 1: 3, 255: 257, 256: 260} {
		if got := encodedSize(n); got != want {
			t.Errorf("encodedSize(%d) = %d, want %d", n, got, want)
		}
	}
}
