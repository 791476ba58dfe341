package metrics

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/dhcp6"
	"github.com/pxed/pxed/internal/lease"
)

// The loopback interface has no global address, so the test's client is a
// relay: its Relay-forward names the served link by its link-address.
const relayedYAML = `
dhcp6:
  subnets:
    - prefix: 2001:db8:1::/64
      pools: ["2001:db8:1::1000-2001:db8:1::10ff"]
`

// TestDHCPv6Metrics serves DHCPv6 on the loopback interface and scrapes
// /metrics as a client goes through Solicit and Request, asks to renew an
// address it does not hold, and a datagram that is not DHCPv6 arrives: the
// message counts by type and outcome and the pool's addresses in use move
// with each.
func TestDHCPv6Metrics(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("relayed.yaml", []byte(relayedYAML))
	if err != nil {
		t.Fatal(err)
	}
	alloc, err := lease.NewAllocator(context.Background(), lease.NewMem(time.Now), time.Now, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := net.ParseMAC("02:00:00:00:00:21")
	serverID := &dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: 1, LinkLayerAddr: mac}
	r, err := dhcp6.NewResponder(cfg, alloc, serverID, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 on the loopback interface here: %v", err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	probe.Close()
	srv := &dhcp6.Server{Responder: r, Alloc: alloc, Workers: 2, Port: port}
	if err := srv.Listen([]string{"lo"}); err != nil {
		t.Skipf("cannot serve DHCPv6 on the loopback interface here: %v", err)
	}
	m := New()
	m.WatchDHCP6(srv.Stats())
	pool := lease.Range{First: netip.MustParseAddr("2001:db8:1::1000"), Last: netip.MustParseAddr("2001:db8:1::10ff")}
	m.WatchPools6(func() []Pool6 {
		return []Pool6{{Prefix: netip.MustParsePrefix("2001:db8:1::/64"),
			Pool: Pool{Name: "2001:db8:1::1000-2001:db8:1::10ff", Range: pool}}}
	}, alloc.Usage)

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, nil) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	client, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	to := &net.UDPAddr{IP: net.IPv6loopback, Port: port}
	relayed := func(msg *dhcpv6.Message) []byte {
		t.Helper()
		fw, err := dhcpv6.EncapsulateRelay(msg, dhcpv6.MessageTypeRelayForward,
			net.ParseIP("2001:db8:1::1"), net.ParseIP("fe80::200:ff:fe00:1"))
		if err != nil {
			t.Fatal(err)
		}
		return fw.ToBytes()
	}
	send := func(b []byte) {
		t.Helper()
		if _, err := client.WriteTo(b, to); err != nil {
			t.Fatal(err)
		}
	}
	// wait scrapes until every line of want is there.
	wait := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			body := scrape(t, m)
			missing := ""
			for _, w := range want {
				if !strings.Contains(body, w+"\n") {
					missing = w
					break
				}
			}
			if missing == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("scrape lacks %q:\n%s", missing, grep(body, "pxed_dhcp6_"))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	const (
		inUse = `pxed_dhcp6_pool_addresses{pool="2001:db8:1::1000-2001:db8:1::10ff",prefix="2001:db8:1::/64",state="in_use"} `
		free  = `pxed_dhcp6_pool_addresses{pool="2001:db8:1::1000-2001:db8:1::10ff",prefix="2001:db8:1::/64",state="free"} `
	)
	wait(inUse+"0", free+"256", "pxed_dhcp6_received_total 0")
	if body := scrape(t, m); strings.Contains(body, "pxed_dhcp6_messages_total{") {
		t.Fatalf("messages counted before any arrived:\n%s", grep(body, "pxed_dhcp6_messages_total"))
	}

	solicit, err := dhcpv6.NewSolicit(net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42})
	if err != nil {
		t.Fatal(err)
	}
	send(relayed(solicit))
	wait(`pxed_dhcp6_messages_total{result="advertise",type="SOLICIT"} 1`, inUse+"1", free+"255",
		"pxed_dhcp6_received_total 1")

	request, err := dhcpv6.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	request.MessageType = dhcpv6.MessageTypeRequest
	request.AddOption(solicit.GetOneOption(dhcpv6.OptionClientID))
	request.AddOption(dhcpv6.OptServerID(serverID))
	request.AddOption(solicit.GetOneOption(dhcpv6.OptionIANA))
	send(relayed(request))
	wait(`pxed_dhcp6_messages_total{result="reply",type="REQUEST"} 1`, inUse+"1",
		`pxed_dhcp6_messages_total{result="advertise",type="SOLICIT"} 1`)

	// Another client renews an address it was never given.
	renew, err := dhcpv6.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	renew.MessageType = dhcpv6.MessageTypeRenew
	renew.AddOption(dhcpv6.OptClientID(&dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x43}}))
	renew.AddOption(dhcpv6.OptServerID(serverID))
	renew.AddOption(&dhcpv6.OptIANA{IaId: [4]byte{0, 0, 0, 1}, Options: dhcpv6.IdentityOptions{Options: dhcpv6.Options{
		&dhcpv6.OptIAAddress{IPv6Addr: net.ParseIP("2001:db8:1::1080"), PreferredLifetime: time.Hour, ValidLifetime: time.Hour},
	}}})
	send(relayed(renew))
	wait(`pxed_dhcp6_messages_total{result="no_binding",type="RENEW"} 1`)

	send([]byte{1, 2})
	wait("pxed_dhcp6_malformed_total 1", "pxed_dhcp6_received_total 4", inUse+"1")
}
