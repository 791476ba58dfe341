//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dhcp6Section is the DHCPv6 side the test adds to examples/seed.yaml: the
// prefix and pool of the IPv6 reference network, lifetimes short enough
// that dhclient renews within the test.
const dhcp6Section = `
dhcp6:
  preference: 255
  lease_time: 20s
  subnets:
    - prefix: 2001:db8:1::/64
      pools: [{start: "2001:db8:1::1000", end: "2001:db8:1::1fff"}]
      dns_servers: ["2001:db8:1::21"]
`

// TestDHCPv6Clients checks pxed's DHCPv6 server against ISC dhclient -6
// over a veth pair: station-01, identified by the MAC in its DUID-LL, gets
// its reserved ip6 and renews it; a machine pxed does not know gets a pool
// address; `pxed leases` then lists both under their MACs. What counts is
// what the client reports.
func TestDHCPv6Clients(t *testing.T) {
	server, client := newVethLab(t)
	requireTools(t, "dhclient", "sysctl")
	server.ip(t, "addr", "add", "2001:db8:1::21/64", "dev", "srv0", "nodad")
	// No duplicate address detection on the client's link-local address:
	// dhclient sends from it at once.
	if out, err := client.command(t.Context(), "sysctl", "-qw", "net.ipv6.conf.cli0.accept_dad=0").CombinedOutput(); err != nil {
		t.Fatalf("sysctl: %v: %s", err, out)
	}
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Edit: func(y string) string {
		for i, ip := range []string{"192.168.1.101", "192.168.1.102", "192.168.1.103"} {
			y = strings.Replace(y, "    ip: "+ip+"\n", fmt.Sprintf("    ip: %s\n    ip6: 2001:db8:1::%d\n", ip, 101+i), 1)
		}
		return y + dhcp6Section
	}})

	setMAC(t, client, "cli0", station01.MAC)
	waitLinkLocal(t, client, "cli0")
	got, out := dhclient6(t, client, "cli0", 2, "-D", "LL")
	if want := netip.MustParseAddr("2001:db8:1::101"); got != want {
		t.Errorf("station-01 (DUID-LL) got %s, want its reserved %s", got, want)
	}
	if !strings.Contains(out, "PRC: Renewing lease on cli0.") {
		t.Errorf("dhclient bound twice without renewing:\n%s", out)
	}

	unknown := randomMAC()
	setMAC(t, client, "cli0", unknown)
	waitLinkLocal(t, client, "cli0")
	got, _ = dhclient6(t, client, "cli0", 1)
	pool := [2]netip.Addr{netip.MustParseAddr("2001:db8:1::1000"), netip.MustParseAddr("2001:db8:1::1fff")}
	if got.Compare(pool[0]) < 0 || got.Compare(pool[1]) > 0 {
		t.Errorf("unknown machine (DUID-LLT) got %s, want an address of %s-%s", got, pool[0], pool[1])
	}

	leases := px.leases(t)
	expectLease(t, leases, station01.MAC, netip.MustParseAddr("2001:db8:1::101"))
	expectLease(t, leases, unknown, got)
	// station-01's reserved lease is an IPv6 one held by the machine (its
	// MAC, for every IA it asks with); the stranger's pool lease by its
	// DUID and IAID.
	for _, l := range leases {
		switch l.IP {
		case netip.MustParseAddr("2001:db8:1::101"):
			if l.Family != "ipv6" || !strings.EqualFold(l.MAC, station01.MAC) {
				t.Errorf("pxed leases shows station-01's lease with family %q, MAC %q; want ipv6, %s", l.Family, l.MAC, station01.MAC)
			}
		case got:
			if l.Family != "ipv6" || l.DUID == "" {
				t.Errorf("pxed leases shows the stranger's lease with family %q, DUID %q; want ipv6 and its DUID", l.Family, l.DUID)
			}
		}
	}
}

// dhclient6 runs ISC dhclient -6 in the foreground with a configuration,
// lease file and PID file of its own and a no-op script, until it has
// reported being bound n times (the first lease, then renewals), and
// returns the address of its last lease and its output.
func dhclient6(t *testing.T, ns *Namespace, ifname string, n int, extra ...string) (netip.Addr, string) {
	t.Helper()
	dir := t.TempDir()
	conf, leases, output := filepath.Join(dir, "dhclient6.conf"), filepath.Join(dir, "dhclient6.leases"), filepath.Join(dir, "dhclient6.out")
	if err := os.WriteFile(conf, []byte("timeout 60;\nalso request dhcp6.name-servers;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leases, nil, 0o644); err != nil { // dhclient wants it to exist
		t.Fatal(err)
	}
	out, err := os.Create(output)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	args := append([]string{"-6", "-d", "-v", "-sf", "/bin/true", "-cf", conf, "-lf", leases, "-pf", filepath.Join(dir, "dhclient6.pid")}, extra...)
	cmd := ns.command(context.Background(), "dhclient", append(args, ifname)...)
	cmd.Stdout, cmd.Stderr = out, out
	p, err := start("dhclient -6", cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop(syscall.SIGTERM, 5*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	err = waitFor(ctx, 200*time.Millisecond, func() (bool, error) {
		data, _ := os.ReadFile(output)
		if strings.Count(string(data), "PRC: Bound to lease") >= n {
			return true, nil
		}
		if p.exited() {
			return false, fmt.Errorf("%w: %v", errExited, p.err)
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("dhclient -6 did not report being bound %d time(s): %v\n%s", n, err, tail(output, 40))
	}
	data, _ := os.ReadFile(output)
	addrs := regexp.MustCompile(`RCV:  \| \| X-- IAADDR (\S+)`).FindAllSubmatch(data, -1)
	if addrs == nil {
		t.Fatalf("dhclient -6 output names no address:\n%s", data)
	}
	a, err := netip.ParseAddr(string(addrs[len(addrs)-1][1]))
	if err != nil {
		t.Fatal(err)
	}
	return a, string(data)
}

// waitLinkLocal waits until ifname has a usable (not tentative) link-local
// address: the source of every DHCPv6 client message (RFC 8415 §13.1).
func waitLinkLocal(t *testing.T, ns *Namespace, ifname string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		out, err := ns.command(ctx, "ip", "-6", "addr", "show", "dev", ifname, "scope", "link").Output()
		return err == nil && strings.Contains(string(out), "inet6 fe80") && !strings.Contains(string(out), "tentative"), nil
	})
	if err != nil {
		t.Fatalf("%s has no link-local IPv6 address: %v", ifname, err)
	}
}
