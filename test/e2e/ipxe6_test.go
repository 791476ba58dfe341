//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// station01IP6 is the IPv6 address the IPv6 tests reserve for station-01.
var station01IP6 = netip.MustParseAddr("2001:db8:1::101")

// newBridgeLab6 is newBridgeLab for IPv6: bridge br0 at 2001:db8:1::21/64
// (no duplicate address detection, so it is usable at once), with
// 192.168.1.21/24 too when ipv4 is set and no IPv4 address at all
// otherwise, and n tap devices. Multicast snooping is off: the guests'
// firmware sends to ff02::1:2 without an MLD report first.
func newBridgeLab6(t *testing.T, n int, ipv4 bool) (*Namespace, []string) {
	t.Helper()
	ns := newNamespace(t, "lab6")
	ns.ip(t, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
	run(t, "ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv6.conf.br0.accept_dad=0")
	if ipv4 {
		ns.ip(t, "addr", "add", serverAddr, "dev", "br0")
	}
	ns.ip(t, "addr", "add", serverAddr6+"/64", "dev", "br0", "nodad")
	ns.ip(t, "link", "set", "br0", "up")
	var taps []string
	for i := range n {
		tap := fmt.Sprintf("tap%d", i)
		ns.ip(t, "tuntap", "add", "dev", tap, "mode", "tap")
		ns.ip(t, "link", "set", tap, "master", "br0")
		ns.ip(t, "link", "set", tap, "up")
		taps = append(taps, tap)
	}
	if out := run(t, "ip", "-n", ns.Name, "-4", "addr", "show", "dev", "br0"); !ipv4 && strings.Contains(out, "inet ") {
		t.Fatalf("br0 has an IPv4 address:\n%s", out)
	}
	return ns, taps
}

// ipv6Network edits examples/seed.yaml into the IPv6 reference network
// beside (or, without ipv4, instead of) the IPv4 one: the stations'
// reserved ip6 addresses, a DHCPv6 subnet with its pool, router
// advertisements with M (iPXE starts DHCPv6 only from an RA with M or O).
// The seed already gives iPXE its script (http.ipxe_script): over DHCPv6,
// option 59 is the script's URL.
func ipv6Network(ipv4 bool) func(string) string {
	return func(y string) string {
		for i, ip := range []string{"192.168.1.101", "192.168.1.102", "192.168.1.103"} {
			y = replaceOnce(y, "    ip: "+ip+"\n", fmt.Sprintf("    ip: %s\n    ip6: 2001:db8:1::%d\n", ip, 101+i))
		}
		if !ipv4 {
			y = replaceOnce(y, "dhcp:\n", "dhcp:\n  enabled: false\n")
		}
		y = replaceOnce(y, "  router_advertisement: [br0]\n", "  advertise:\n    - interface: br0\n      managed: true\n      prefixes: [2001:db8:1::/64]\n")
		return y + `
dhcp6:
  preference: 255
  lease_time: 1h
  subnets:
    - prefix: 2001:db8:1::/64
      pools: [{start: "2001:db8:1::1000", end: "2001:db8:1::1fff"}]
`
	}
}

// expectLeaseOf fails unless leases hold ip for mac, bound: a machine on
// both families holds one lease of each.
func expectLeaseOf(t *testing.T, leases []Lease, mac string, ip netip.Addr) {
	t.Helper()
	for _, l := range leases {
		if strings.EqualFold(l.MAC, mac) && l.IP == ip {
			if l.State != "bound" {
				t.Errorf("pxed leases: %s holds %s in state %q, want bound", mac, ip, l.State)
			}
			return
		}
	}
	t.Errorf("pxed leases: no lease of %s for %s; leases:\n%s", ip, mac, formatLeases(leases))
}

// TestBootIPXE6 boots station-01's SeaBIOS + iPXE ROM on a link with no
// IPv4 at all: pxed's RA (M flag) starts iPXE's DHCPv6; iPXE's DUID-UUID
// names no machine, so pxed knows station-01 by the MAC in its EUI-64
// link-local source address, gives it its reserved ip6 and the URL of its
// script (option 59, http://[2001:db8:1::21]:8080/…), and iPXE fetches
// script, kernel and initrd over HTTP on IPv6.
func TestBootIPXE6(t *testing.T) {
	ns, taps := newBridgeLab6(t, 1, false)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: ipv6Network(false)})

	reachKernel(t, bootStation(t, ns, taps[0], station01), "SeaBIOS + iPXE over IPv6, script, kernel and initrd over HTTP", nil)
	expectLeaseOf(t, px.leases(t), station01.MAC, station01IP6)
	// Known by MAC although its DUID (type 4, all zeros) names none.
	expectLogged(t, px, `msg=dhcp6 iface=br0 mac=00:18:e7:42:84:3a xid=`)
	expectLogged(t, px, `duid=000400000000000000000000000000000000 arch=bios host=station-01 reply=REPLY ip=[2001:db8:1::101] file=http://[2001:db8:1::21]:8080/ipxe/00-18-e7-42-84-3a.ipxe`)
	expectLogged(t, px, `msg="http transfer" ip=2001:db8:1::101 file=debian-installer/amd64/initrd.gz bytes=40810276`)
}

// TestBootDualStack boots station-01 twice on one link that has both
// families, served by one pxed: first as it comes (iPXE runs DHCPv4 and,
// on pxed's RA with M, DHCPv6 at once, and boots from DHCPv4's script
// URL, which its settings rank first), then with IPv4 dropped at its
// switch port (nftables on its tap), so that it boots over IPv6. pxed's
// API, which the dashboard reads, then shows one machine with both
// addresses, and its timeline the initrd fetched over each family.
func TestBootDualStack(t *testing.T) {
	requireTools(t, "nft", "curl")
	ns, taps := newBridgeLab6(t, 1, true)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: ipv6Network(true)})
	token := waitWeb(t, ns, px)

	reachKernel(t, bootStation(t, ns, taps[0], station01), "dual-stack link, the firmware choosing", nil)
	t.Logf("after the first boot:\n%s", formatLeases(px.leases(t)))

	// An IPv6-only port: the station's IPv4 frames go nowhere.
	nft := "table netdev pxedlab { chain v4 { type filter hook ingress device " + taps[0] + " priority 0; meta protocol ip drop; }; }"
	run(t, "ip", "netns", "exec", ns.Name, "nft", nft)
	again := station01
	again.Name = "station-01-ipv6"
	reachKernel(t, bootStation(t, ns, taps[0], again), "dual-stack link, IPv4 dropped at its port", nil)

	leases := px.leases(t)
	expectLeaseOf(t, leases, station01.MAC, station01.IP)
	expectLeaseOf(t, leases, station01.MAC, station01IP6)

	api := func(path string, v any) {
		t.Helper()
		out, err := ns.command(t.Context(), "curl", "-sSf", "-H", "Authorization: Bearer "+token, dashboardURL+path).Output()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, out)
		}
	}
	var machines []struct {
		MAC   string   `json:"mac"`
		Host  string   `json:"host"`
		IPs   []string `json:"ips"`
		State string   `json:"state"`
	}
	api("api/v1/machines", &machines)
	var rows []string
	for _, m := range machines {
		rows = append(rows, fmt.Sprintf("%s %s %v %s", m.MAC, m.Host, m.IPs, m.State))
	}
	want := fmt.Sprintf("%s station-01 [%s %s]", station01.MAC, station01.IP, station01IP6)
	if len(machines) != 1 || !strings.HasPrefix(rows[0], want) {
		t.Errorf("GET /api/v1/machines: %q, want one machine %q", rows, want)
	}

	var detail struct {
		Boots []struct {
			Steps []struct {
				Kind string `json:"kind"`
				File string `json:"file"`
				IP   string `json:"ip"`
			} `json:"steps"`
		} `json:"boots"`
	}
	api("api/v1/machines/"+station01.MAC, &detail)
	initrd := map[string]bool{}
	for _, b := range detail.Boots {
		for _, s := range b.Steps {
			if s.Kind == "file" && s.File == "debian-installer/amd64/initrd.gz" {
				initrd[s.IP] = true
			}
		}
	}
	if !initrd[station01.IP.String()] || !initrd[station01IP6.String()] {
		t.Errorf("the machine's timeline shows the initrd fetched by %v, want by %s and by %s", initrd, station01.IP, station01IP6)
	}
	if b, _ := os.ReadFile(px.log); !strings.Contains(string(b), `msg="http transfer" ip=2001:db8:1::101 file=ipxe/00-18-e7-42-84-3a.ipxe`) {
		t.Error("the second boot did not fetch its script over IPv6")
	}
}
