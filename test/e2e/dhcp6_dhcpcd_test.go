//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// TestDHCPv6Dhcpcd checks pxed's DHCPv6 server against dhcpcd (Roy
// Marples' client, Debian's dhcpcd-base), a DHCPv6 client of another
// lineage than ISC dhclient: station-01, by the MAC in its DUID-LL, gets
// its reserved address. dhcpcd keeps its DUID and sockets under
// /var/lib/dhcpcd and /run: it runs with empty ones of its own (tmpfs in
// the mount namespace that ip netns exec gives it), so that it makes its
// DUID from the interface and touches nothing of the machine's.
func TestDHCPv6Dhcpcd(t *testing.T) {
	requireTools(t, "dhcpcd")
	_, client, px := dhcp6Lab(t, nil)
	setMAC(t, client, "cli0", station01.MAC)
	waitLinkLocal(t, client, "cli0")
	got, out := dhcpcd6(t, client, "cli0")
	if want := netip.MustParseAddr("2001:db8:1::101"); got != want {
		t.Errorf("station-01 (dhcpcd, DUID-LL) got %s, want its reserved %s\n%s", got, want, out)
	}
	expectLease(t, px.leases(t), station01.MAC, netip.MustParseAddr("2001:db8:1::101"))
}

// dhcpcd6 runs dhcpcd -6 once (-1: until it has a lease) on ifname, with
// DHCPv6 started at once (no waiting for a router advertisement), a
// DUID-LL and no hook scripts, and returns the address it reports.
func dhcpcd6(t *testing.T, ns *Namespace, ifname string) (netip.Addr, string) {
	t.Helper()
	dir := t.TempDir()
	conf, logf := filepath.Join(dir, "dhcpcd.conf"), filepath.Join(dir, "dhcpcd.log")
	os.Chmod(dir, 0o755) // dhcpcd drops privileges to read its files
	if err := os.WriteFile(conf, []byte("duid ll\nnoipv6rs\nipv6only\nia_na 1\noption dhcp6_name_servers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /run && exec dhcpcd -6 -1 -B -d -t 30 -f %s -c /bin/true -j %s %s", conf, logf, ifname)
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	cmd := ns.command(ctx, "sh", "-c", script)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	b, err := cmd.CombinedOutput()
	logged, _ := os.ReadFile(logf)
	out := string(b) + string(logged)
	if err != nil {
		t.Fatalf("dhcpcd -6: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`adding address ([0-9a-f:]+)/128`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("dhcpcd -6 reported no address:\n%s", out)
	}
	a, err := netip.ParseAddr(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return a, out
}
