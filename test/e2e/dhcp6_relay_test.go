//go:build e2e

package e2e

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDHCPv6Relayed serves a client through a real relay: ISC dhcrelay -6
// in a namespace between the client's link (2001:db8:1::/64, the relay at
// ::1) and pxed's (2001:db8:2::/64, pxed at ::21), with -I so that it adds
// an Interface-Id option. pxed sees a Relay-forward whose link-address
// names the client's link, answers with a Relay-reply that echoes the
// Interface-Id, and dhclient -6 on the far link gets station-01's
// reserved address; a machine pxed does not know gets a pool address.
func TestDHCPv6Relayed(t *testing.T) {
	requireTools(t, "dhcrelay", "dhclient", "sysctl", "ss")
	server, relay := newVethLab(t) // srv0 (pxed) — cli0 (the relay's upper side)
	client := newNamespace(t, "c6")
	relay.ip(t, "link", "add", "rl0", "type", "veth", "peer", "name", "cl0", "netns", client.Name)
	for _, s := range []struct {
		ns    *Namespace
		iface string
	}{{relay, "cli0"}, {relay, "rl0"}, {client, "cl0"}} {
		if out, err := s.ns.command(t.Context(), "sysctl", "-qw", "net.ipv6.conf."+s.iface+".accept_dad=0").CombinedOutput(); err != nil {
			t.Fatalf("sysctl: %v: %s", err, out)
		}
	}
	relay.ip(t, "link", "set", "rl0", "up")
	client.ip(t, "link", "set", "cl0", "up")
	server.ip(t, "addr", "add", "2001:db8:2::21/64", "dev", "srv0", "nodad")
	relay.ip(t, "addr", "add", "2001:db8:2::1/64", "dev", "cli0", "nodad")
	relay.ip(t, "addr", "add", "2001:db8:1::1/64", "dev", "rl0", "nodad")
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Edit: func(y string) string {
		return withIP6Reservations(y) + dhcp6Section
	}})
	waitUDP(t, server, "547")
	waitLinkLocal(t, relay, "rl0")

	// dhcrelay -6: -l the client's link, -u pxed's address on the upper
	// link; -I adds the Interface-Id option to every Relay-forward.
	startDhcrelay(t, relay, "-6", "-I", "-l", "rl0", "-u", "2001:db8:2::21%cli0")
	waitUDP(t, relay, "547")

	setMAC(t, client, "cl0", station01.MAC)
	waitLinkLocal(t, client, "cl0")
	got, _ := dhclient6(t, client, "cl0", 1, "-D", "LL")
	if want := netip.MustParseAddr("2001:db8:1::101"); got != want {
		t.Errorf("station-01 through the relay got %s, want its reserved %s", got, want)
	}

	unknown := randomMAC()
	setMAC(t, client, "cl0", unknown)
	waitLinkLocal(t, client, "cl0")
	other, _ := dhclient6(t, client, "cl0", 1)
	if other.Compare(netip.MustParseAddr("2001:db8:1::1000")) < 0 || other.Compare(netip.MustParseAddr("2001:db8:1::1fff")) > 0 {
		t.Errorf("unknown machine through the relay got %s, want an address of the pool 2001:db8:1::1000-1fff", other)
	}

	// pxed saw the Relay-forward: one relay, the client's link by its
	// link-address, dhcrelay's Interface-Id; and sent the Reply back
	// through it (to the relay's address, port 547).
	b, err := os.ReadFile(px.log)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`msg=dhcp6 .*mac=` + station01.MAC + ` .*msg=REQUEST .*relays=1 link=2001:db8:1::1 interface_id=(\S+) .*reply=REPLY ip=\[2001:db8:1::101\] .*to=\[2001:db8:2::1\]:547`)
	m := re.FindSubmatch(b)
	if m == nil {
		t.Fatalf("pxed's log has no Reply to station-01's relayed Request with the relay's link-address and Interface-Id")
	}
	t.Logf("relayed: interface_id=%s", m[1])
	if strings.Contains(string(b), "client_lla=") {
		t.Logf("dhcrelay sent the client link-layer address (option 79)")
	} else {
		t.Logf("dhcrelay sent no client link-layer address (option 79): reservations by MAC need the MAC in the DUID")
	}
	leases := px.leases(t)
	expectLease(t, leases, station01.MAC, netip.MustParseAddr("2001:db8:1::101"))
	expectLease(t, leases, unknown, other)
}

// startDhcrelay runs ISC's dhcrelay in ns in the foreground with args
// (after -d --no-pid); the test's cleanup stops it and, when the test
// failed, prints what it wrote.
func startDhcrelay(t *testing.T, ns *Namespace, args ...string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "dhcrelay.out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.command(context.Background(), "dhcrelay", append([]string{"-d", "--no-pid"}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	p, err := start("dhcrelay", cmd)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 5*time.Second)
		if t.Failed() {
			t.Logf("dhcrelay output:\n%s", tail(out, 40))
		}
	})
}
