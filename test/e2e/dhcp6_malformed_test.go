//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"
)

// dhcp6Lab is the IPv6 side of the veth lab: pxed at 2001:db8:1::21/64 on
// srv0 serving examples/seed.yaml with dhcp6Section and the stations' ip6
// reservations (2001:db8:1::101 ...), edited further by edit if set; the
// client's link-local address is usable at once (no DAD).
func dhcp6Lab(t *testing.T, edit func(string) string) (server, client *Namespace, px *Pxed) {
	t.Helper()
	server, client = newVethLab(t)
	requireTools(t, "sysctl")
	server.ip(t, "addr", "add", "2001:db8:1::21/64", "dev", "srv0", "nodad")
	if out, err := client.command(t.Context(), "sysctl", "-qw", "net.ipv6.conf.cli0.accept_dad=0").CombinedOutput(); err != nil {
		t.Fatalf("sysctl: %v: %s", err, out)
	}
	px = startPxed(t, server, pxedOptions{Interface: "srv0", Edit: func(y string) string {
		y = withIP6Reservations(y) + dhcp6Section
		if edit != nil {
			y = edit(y)
		}
		return y
	}})
	waitUDP(t, server, "547")
	return server, client, px
}

// withIP6Reservations gives the three stations of examples/seed.yaml their
// ip6 (2001:db8:1::101, ::102, ::103) beside their IPv4 address.
func withIP6Reservations(y string) string {
	for i, ip := range []string{"192.168.1.101", "192.168.1.102", "192.168.1.103"} {
		y = strings.Replace(y, "    ip: "+ip+"\n", fmt.Sprintf("    ip: %s\n    ip6: 2001:db8:1::%d\n", ip, 101+i), 1)
	}
	return y
}

// waitUDP waits until a UDP socket is bound on port in ns.
func waitUDP(t *testing.T, ns *Namespace, port string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if out, err := ns.command(t.Context(), "ss", "-Hlun").Output(); err == nil && listensUDP(string(out), port) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on UDP port %s", port)
}

// sendDHCP6 sends each datagram from [link-local]:546 on cli0 to
// ff02::1:2 port 547, as a client does, pausing between them.
func sendDHCP6(t *testing.T, ns *Namespace, pause time.Duration, pkts ...[]byte) {
	t.Helper()
	for _, p := range pkts {
		cmd := ns.command(t.Context(), "socat", "-b", "65536", "-u", "STDIN", "UDP6-SENDTO:[ff02::1:2]:547,sourceport=546,so-bindtodevice=cli0")
		cmd.Stdin = bytes.NewReader(p)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sending %d bytes: %v %s", len(p), err, out)
		}
		time.Sleep(pause)
	}
}

// TestDHCPv6Malformed sends pxed's DHCPv6 server hostile datagrams over a
// real socket, as a client on the link would: truncated messages, an
// option running past the end, Relay-forward nested beyond RFC 8415's
// HOP_COUNT_LIMIT, huge IA counts, unknown and server-only message types,
// client messages relayed with peer-addresses no relay could have sent.
// Each is dropped with its kind of reason in the log; pxed keeps running,
// and afterwards a real client (dhclient -6) still gets its reservation.
func TestDHCPv6Malformed(t *testing.T) {
	requireTools(t, "socat", "dhclient", "ss")
	_, client, px := dhcp6Lab(t, nil)
	setMAC(t, client, "cli0", station01.MAC)
	waitLinkLocal(t, client, "cli0")

	// Each message has a DUID of its own: the per-client rate limit is
	// not what drops them.
	n := 0
	solicit := func(opts ...dhcpv6.Option) *dhcpv6.Message {
		n++
		m := &dhcpv6.Message{MessageType: dhcpv6.MessageTypeSolicit, TransactionID: dhcpv6.TransactionID{0x66, byte(n), 1}}
		m.AddOption(dhcpv6.OptClientID(&dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: net.HardwareAddr{2, 0, 0, 0, 0x66, byte(n)}}))
		for _, o := range opts {
			m.AddOption(o)
		}
		return m
	}
	relay := func(m dhcpv6.DHCPv6, link, peer string) *dhcpv6.RelayMessage {
		r, err := dhcpv6.EncapsulateRelay(m, dhcpv6.MessageTypeRelayForward, net.ParseIP(link), net.ParseIP(peer))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ia := func(iaid byte, addrs int) *dhcpv6.OptIANA {
		o := &dhcpv6.OptIANA{IaId: [4]byte{0, 0, 0, iaid}}
		for i := range addrs {
			o.Options.Add(&dhcpv6.OptIAAddress{IPv6Addr: netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 0, 1, 14: byte(i >> 8), 15: byte(i)}).AsSlice()})
		}
		return o
	}
	var deep dhcpv6.DHCPv6 = solicit(ia(1, 0))
	for range 33 {
		deep = relay(deep, "2001:db8:1::1", "fe80::1")
	}
	var thousandIAs []dhcpv6.Option
	for i := range 1000 {
		thousandIAs = append(thousandIAs, ia(byte(i), 0))
	}
	advertise := solicit()
	advertise.MessageType = dhcpv6.MessageTypeAdvertise
	unknown := solicit(ia(1, 0)).ToBytes()
	unknown[0] = 200
	noRelayMsg := relay(solicit(ia(1, 0)), "2001:db8:1::1", "fe80::1")
	noRelayMsg.Options.Del(dhcpv6.OptionRelayMsg)
	relayReply := relay(solicit(ia(1, 0)), "2001:db8:1::1", "fe80::1")
	relayReply.MessageType = dhcpv6.MessageTypeRelayReply
	corpus := []struct {
		name string
		pkt  []byte
		drop string
	}{
		{"three octets", []byte{1, 0x66, 0}, "short"},
		{"truncated in an option", solicit(ia(1, 0)).ToBytes()[:10], "malformed"},
		{"option length past the end", append(solicit().ToBytes(), 0, 3, 0xff, 0xf0, 0, 0, 0, 1), "malformed"},
		{"truncated Relay-forward header", relay(solicit(ia(1, 0)), "2001:db8:1::1", "fe80::1").ToBytes()[:20], "malformed"},
		{"Relay-forward nested 33 deep", deep.ToBytes(), "relay-hops"},
		{"1,000 IA_NA options", solicit(thousandIAs...).ToBytes(), "too-many-ias"},
		{"an IA_NA with 2,000 addresses", solicit(ia(1, 2000)).ToBytes(), "too-many-ias"},
		{"message type 200", unknown, "not-for-server"},
		{"an Advertise", advertise.ToBytes(), "not-for-server"},
		{"a Relay-reply", relayReply.ToBytes(), "not-for-server"},
		{"a Solicit without a Client Identifier", (&dhcpv6.Message{MessageType: dhcpv6.MessageTypeSolicit, TransactionID: dhcpv6.TransactionID{0x66, 0, 0}}).ToBytes(), "invalid"},
		{"relayed with a multicast peer-address", relay(solicit(ia(1, 0)), "2001:db8:1::1", "ff02::1").ToBytes(), "bad-relay"},
		{"relayed with an unspecified peer-address", relay(solicit(ia(1, 0)), "2001:db8:1::1", "::").ToBytes(), "bad-relay"},
		{"relayed with an IPv4-mapped peer-address", relay(solicit(ia(1, 0)), "2001:db8:1::1", "::ffff:192.0.2.1").ToBytes(), "bad-relay"},
		{"Relay-forward without a Relay Message", noRelayMsg.ToBytes(), "malformed"},
		{"relayed from a link pxed does not serve", relay(solicit(ia(1, 0)), "2001:db8:99::1", "fe80::1").ToBytes(), "no-subnet"},
	}
	for _, c := range corpus {
		sendDHCP6(t, client, 30*time.Millisecond, c.pkt)
		if px.p.exited() {
			t.Fatalf("pxed exited after %q: %v", c.name, px.p.err)
		}
	}
	// After the corpus, a real client is served: station-01 by its DUID-LL.
	got, _ := dhclient6(t, client, "cli0", 1, "-D", "LL")
	if want := netip.MustParseAddr("2001:db8:1::101"); got != want {
		t.Errorf("after the hostile datagrams station-01 got %s, want %s", got, want)
	}
	b, err := os.ReadFile(px.log)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	counts := map[string]int{}
	for _, m := range regexp.MustCompile(`msg="dhcp6 (?:packet dropped|no reply)" .*\bdrop=(\S+)`).FindAllStringSubmatch(log, -1) {
		counts[m[1]]++
	}
	want := map[string]int{}
	for _, c := range corpus {
		want[c.drop]++
	}
	for kind, w := range want {
		if counts[kind] != w {
			t.Errorf("pxed logged %d drops as %s, want %d (one per datagram of that kind)", counts[kind], kind, w)
		}
	}
	t.Logf("drops logged by kind: %v", counts)
	if strings.Contains(log, "panic") {
		t.Errorf("pxed's log mentions a panic:\n%s", tail(px.log, 60))
	}
}
