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

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/postgres/pgtest"
)

// bootpcResult is what Debian's bootpc printed of the BOOTREPLY it took:
// its shell assignments (IPADDR='…', BOOTFILE='…', SERVER='…', NETMASK,
// GATEWAYS, DNSSRVS, HOSTNAME, DOMAIN, ROOT_PATH …), by name.
type bootpcResult map[string]string

// bootpc runs Debian's BOOTP client once on ifname, waiting at most wait
// seconds for a reply. Like its own rc.bootp, it first routes everything
// out of the interface (bootpc broadcasts with a plain UDP socket, which
// needs a route); the interface keeps no address. An error means no
// usable reply (bootpc exits 1 with --returniffail).
func bootpc(t *testing.T, ns *Namespace, ifname string, wait int, extra ...string) (bootpcResult, error) {
	t.Helper()
	ns.ip(t, "route", "replace", "default", "dev", ifname)
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(wait+10)*time.Second)
	defer cancel()
	args := append([]string{"--dev", ifname, "--returniffail", "--timeoutwait", fmt.Sprint(wait)}, extra...)
	out, err := ns.command(ctx, "bootpc", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("bootpc: %v\n%s", err, out)
	}
	res := bootpcResult{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_]+)='([^']*)'$`).FindAllStringSubmatch(string(out), -1) {
		res[m[1]] = m[2]
	}
	if res["IPADDR"] == "" {
		return nil, fmt.Errorf("bootpc printed no IPADDR:\n%s", out)
	}
	return res, nil
}

// expect fails the test for each of want's names that bootpc did not print
// as want says.
func (r bootpcResult) expect(t *testing.T, who string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if r[k] != v {
			t.Errorf("bootpc as %s: %s=%q, want %q", who, k, r[k], v)
		}
	}
}

// withRouters gives the lab subnet of examples/seed.yaml the router and DNS
// server its comments suggest: vendor extensions for bootpc to print.
func withRouters(y string) string {
	y = replaceOnce(y, "      # routers: [192.168.1.1]\n", "      routers: [192.168.1.1]\n")
	return replaceOnce(y, "      # dns_servers: [192.168.1.1]\n", "      dns_servers: [192.168.1.1]\n")
}

// withBOOTPDynamic opens the lab subnet's pool to BOOTP clients.
func withBOOTPDynamic(y string) string {
	return replaceOnce(y, "      pools:\n        - 192.168.1.150-192.168.1.199\n",
		"      bootp: dynamic\n      pools:\n        - 192.168.1.150-192.168.1.199\n")
}

// TestBOOTPReserved: Debian's bootpc, a BOOTP client (no DHCP message type,
// no broadcast flag), as station-01 gets its reserved address, pxed as its
// boot server, the boot file and the RFC 1497 vendor extensions the
// configuration gives (mask, router, DNS, host name, domain). bootpc reads
// the reply on a plain UDP socket of an interface without an address, so
// it sees it only because pxed broadcasts it (RFC 1542 §5.4).
func TestBOOTPReserved(t *testing.T) {
	requireTools(t, "bootpc")
	server, client := newVethLab(t)
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Edit: withRouters})
	setMAC(t, client, "cli0", station01.MAC)
	res, err := bootpc(t, client, "cli0", 5)
	if err != nil {
		t.Fatal(err)
	}
	res.expect(t, station01.Name, map[string]string{
		"IPADDR": station01.IP.String(), "SERVER": "192.168.1.21", "BOOTFILE": "pxelinux.0",
		"NETMASK": "255.255.255.0", "GATEWAYS": "192.168.1.1", "DNSSRVS": "192.168.1.1",
		"HOSTNAME": station01.Name, "DOMAIN": "test.lan",
	})
	leases := px.leases(t)
	expectLease(t, leases, station01.MAC, station01.IP)
	expectInfinite(t, leases, station01.MAC)
	if !loggedMatch(t, px, regexp.MustCompile(`mac=`+station01.MAC+` .*msg=BOOTREQUEST .*reply=BOOTREPLY ip=`+regexp.QuoteMeta(station01.IP.String())+` .*to=255\.255\.255\.255:68`), 3*time.Second) {
		t.Errorf("pxed's log has no broadcast BOOTREPLY to station-01")
	}
}

// expectInfinite fails the test unless mac's IPv4 lease never expires.
func expectInfinite(t *testing.T, leases []Lease, mac string) {
	t.Helper()
	for _, l := range leases {
		if strings.EqualFold(l.MAC, mac) && l.IP.Is4() {
			if !l.Infinite || l.Expires.Before(time.Now().AddDate(200, 0, 0)) {
				t.Errorf("lease of %s expires %s (infinite %v), want never", mac, l.Expires, l.Infinite)
			}
			return
		}
	}
	t.Errorf("no lease for %s", mac)
}

// TestBOOTPDynamic: a BOOTP client pxed has no reservation for is refused
// a pool address while the subnet's bootp is reserved (the default):
// bootpc hears nothing, and pxed counts the refusal by reason and shows it
// on the machine's timeline. With bootp: dynamic it gets a pool address
// for good: the lease is in the store, never expires, and survives a
// restart of pxed, which gives the client the same address again.
func TestBOOTPDynamic(t *testing.T) {
	requireTools(t, "bootpc", "curl")
	server, client := newVethLab(t)
	data := filepath.Join(t.TempDir(), "data")
	mac := randomMAC()
	setMAC(t, client, "cli0", mac)

	px := startPxed(t, server, pxedOptions{Interface: "srv0", DataDir: data})
	token := waitWeb(t, server, px)
	if res, err := bootpc(t, client, "cli0", 1); err == nil {
		t.Fatalf("bootpc with unknown MAC %s got %s from a subnet whose bootp is reserved", mac, res["IPADDR"])
	}
	m := (&dashLab{server: server, token: token}).metrics(t)
	if n := m[`pxed_dhcp_bootp_refused_total{reason="not_reserved"}`]; n < 1 {
		t.Errorf("pxed_dhcp_bootp_refused_total{reason=\"not_reserved\"} = %v, want at least 1", n)
	}
	if n := m[`pxed_dhcp_messages_total{result="no_reply",type="BOOTP"}`]; n < 1 {
		t.Errorf(`pxed_dhcp_messages_total{result="no_reply",type="BOOTP"} = %v, want at least 1`, n)
	}
	machine, err := server.command(t.Context(), "curl", "-sSf", "-H", "Authorization: Bearer "+token, dashboardURL+"api/v1/machines/"+mac).Output()
	if err != nil {
		t.Fatalf("machine %s from the API: %v", mac, err)
	}
	if !regexp.MustCompile(`"kind":\s*"BOOTP refused"[^}]*"status":\s*"fail"`).Match(machine) {
		t.Errorf("the timeline of %s shows no refused BOOTP step:\n%s", mac, machine)
	}
	px.stop(t)
	for _, l := range px.leases(t) {
		if strings.EqualFold(l.MAC, mac) {
			t.Fatalf("a lease was recorded for the refused client: %+v", l)
		}
	}

	dynamic := pxedOptions{Interface: "srv0", DataDir: data, Edit: withBOOTPDynamic}
	px = startPxed(t, server, dynamic)
	res, err := bootpc(t, client, "cli0", 5)
	if err != nil {
		t.Fatalf("with bootp: dynamic: %v", err)
	}
	got := netip.MustParseAddr(res["IPADDR"])
	if !inPool(got) {
		t.Fatalf("bootpc with unknown MAC %s got %s, want an address in %s-%s", mac, got, poolFirst, poolLast)
	}
	px.stop(t)

	px = startPxed(t, server, dynamic)
	leases := px.leases(t)
	expectLease(t, leases, mac, got)
	expectInfinite(t, leases, mac)
	res, err = bootpc(t, client, "cli0", 5)
	if err != nil {
		t.Fatalf("after a restart of pxed: %v", err)
	}
	if res["IPADDR"] != got.String() {
		t.Errorf("after a restart of pxed bootpc got %s, want its %s again", res["IPADDR"], got)
	}
}

// TestBOOTPRelayed: the same through a real relay, ISC dhcrelay (-4) in a
// namespace between the client's link (192.168.2.0/24, the relay at .1)
// and pxed's. pxed answers the relay (giaddr) with the broadcast flag set,
// so that dhcrelay broadcasts the BOOTREPLY to bootpc (RFC 1542 §4.1.2): a
// reserved machine gets its address on the far subnet; an unknown one is
// refused until that subnet's bootp is dynamic, then gets a pool address.
// The leases are kept in PostgreSQL here: the BOOTP lease that never
// expires is committed there before the reply, as in the journal.
func TestBOOTPRelayed(t *testing.T) {
	requireTools(t, "bootpc", "dhcrelay")
	dsn := pgtest.Start(t).NewDatabase(t)
	server, relay := newVethLab(t) // srv0 (pxed) — cli0 (the relay's upper side)
	client := newNamespace(t, "cb")
	relay.ip(t, "link", "add", "rl0", "type", "veth", "peer", "name", "cl0", "netns", client.Name)
	relay.ip(t, "addr", "add", "192.168.1.1/24", "dev", "cli0")
	relay.ip(t, "addr", "add", "192.168.2.1/24", "dev", "rl0")
	relay.ip(t, "link", "set", "rl0", "up")
	client.ip(t, "link", "set", "cl0", "up")
	server.ip(t, "route", "add", "192.168.2.0/24", "via", "192.168.1.1")

	const farHost = "02:bb:00:00:00:01"
	far := func(bootp string) func(string) string {
		return func(y string) string {
			y = replaceOnce(y, "\n# What PXE clients boot", "    - network: 192.168.2.0/24\n"+bootp+
				"      pools: [192.168.2.150-192.168.2.199]\n\n# What PXE clients boot")
			return replaceOnce(y, "    ip: 192.168.1.103\n", "    ip: 192.168.1.103\n  - name: far-01\n    mac: "+farHost+"\n    ip: 192.168.2.101\n")
		}
	}
	data := filepath.Join(t.TempDir(), "data")
	px := startPxed(t, server, pxedOptions{Interface: "srv0", DataDir: data, Edit: far(""), Postgres: dsn})

	// -id: the clients' link (giaddr is its address), -iu: pxed's side.
	startDhcrelay(t, relay, "-4", "-id", "rl0", "-iu", "cli0", "192.168.1.21")
	waitUDP(t, relay, "67")

	setMAC(t, client, "cl0", farHost)
	res, err := bootpc(t, client, "cl0", 5)
	if err != nil {
		t.Fatalf("reserved machine through the relay: %v", err)
	}
	res.expect(t, "far-01", map[string]string{"IPADDR": "192.168.2.101", "SERVER": "192.168.1.21", "BOOTFILE": "pxelinux.0", "HOSTNAME": "far-01"})

	unknown := randomMAC()
	setMAC(t, client, "cl0", unknown)
	if res, err := bootpc(t, client, "cl0", 1); err == nil {
		t.Fatalf("unknown machine through the relay got %s from a subnet whose bootp is reserved", res["IPADDR"])
	}
	if !loggedMatch(t, px, regexp.MustCompile(`msg="dhcp bootp refused" .*mac=`+unknown+` .*refused=not_reserved`), 3*time.Second) {
		t.Errorf("pxed's log has no refusal of %s", unknown)
	}
	px.stop(t)

	px = startPxed(t, server, pxedOptions{Interface: "srv0", DataDir: data, Edit: far("      bootp: dynamic\n"), Postgres: dsn})
	res, err = bootpc(t, client, "cl0", 5)
	if err != nil {
		t.Fatalf("unknown machine through the relay with bootp: dynamic: %v", err)
	}
	got := netip.MustParseAddr(res["IPADDR"])
	if got.Compare(netip.MustParseAddr("192.168.2.150")) < 0 || got.Compare(netip.MustParseAddr("192.168.2.199")) > 0 {
		t.Errorf("unknown machine through the relay got %s, want an address of 192.168.2.150-199", got)
	}
	if !loggedMatch(t, px, regexp.MustCompile(`mac=`+unknown+` .*msg=BOOTREQUEST .*reply=BOOTREPLY .*to=192\.168\.2\.1:67`), 3*time.Second) {
		t.Errorf("pxed's log has no BOOTREPLY to the relay for %s", unknown)
	}
	leases := px.leases(t)
	expectLease(t, leases, unknown, got)
	expectInfinite(t, leases, unknown)
}

// TestBOOTPSameAnswersAsDhcpd serves dhcpd.conf files with BOOTP settings
// first with ISC dhcpd, then with pxed, and asks both the same questions
// with bootpc: station-01 (a fixed address) and a machine neither knows.
// Where dhcpd answers, pxed must answer the same (address or pool,
// siaddr, boot file, mask, routers, DNS, domain, root path); where dhcpd
// is silent (no dynamic-bootp range), pxed must be too. bootpc asks with
// --serverbcast (the broadcast flag) here: dhcpd 4.4 unicasts a BOOTREPLY
// to a client without the flag, which bootpc cannot receive (tried: "No
// response from BOOTP server"), where pxed broadcasts.
func TestBOOTPSameAnswersAsDhcpd(t *testing.T) {
	requireTools(t, "bootpc", "dhcpd")
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	unknown := randomMAC()
	questions := []struct{ name, mac string }{{"station-01", station01.MAC}, {"unknown", unknown}}
	ask := func(t *testing.T, client *Namespace) []bootpcResult {
		var out []bootpcResult
		for _, q := range questions {
			setMAC(t, client, "cli0", q.mac)
			res, err := bootpc(t, client, "cli0", 1, "--serverbcast")
			if err != nil {
				res = nil // no answer: compared as such
			} else if a := netip.MustParseAddr(res["IPADDR"]); inPool(a) {
				res["IPADDR"] = "a pool address" // which one is the server's choice
			}
			out = append(out, res)
		}
		return out
	}
	for _, c := range []struct {
		conf    string
		unknown bool // the unknown machine is answered
	}{
		{"internal/dhcpdconf/testdata/bootp.conf", false},
		{"internal/dhcpdconf/testdata/bootp-dynamic.conf", true},
	} {
		t.Run(filepath.Base(c.conf), func(t *testing.T) {
			file := filepath.Join(root, c.conf)
			server, client := newVethLab(t)
			dhcpd := startDhcpd(t, server, file)
			fromDhcpd := ask(t, client)
			if _, err := dhcpd.stop(syscall.SIGTERM, 10*time.Second); err != nil && !dhcpd.exited() {
				t.Fatalf("stopping dhcpd: %v", err)
			}
			px := startPxed(t, server, pxedOptions{Interface: "srv0", Config: c.conf, TFTPRoot: bootFilesOf(t, file)})
			fromPxed := ask(t, client)
			px.stop(t)

			for i, q := range questions {
				// pxed sends a host's declared name; dhcpd only with
				// use-host-decl-names on (docs/dhcpd-conf.md).
				if _, sent := fromDhcpd[i]["HOSTNAME"]; !sent && fromPxed[i] != nil && fromPxed[i]["HOSTNAME"] == q.name {
					delete(fromPxed[i], "HOSTNAME")
				}
				if diff := cmp.Diff(fromDhcpd[i], fromPxed[i]); diff != "" {
					t.Errorf("%s: pxed answers differently from dhcpd (-dhcpd +pxed):\n%s", q.name, diff)
				}
			}
			if fromDhcpd[0]["IPADDR"] != station01.IP.String() || fromDhcpd[0]["ROOT_PATH"] != "192.168.1.21:/srv/diskless/root" {
				t.Errorf("dhcpd's answer to station-01: %v", fromDhcpd[0])
			}
			if answered := fromDhcpd[1] != nil; answered != c.unknown {
				t.Errorf("dhcpd answered the unknown machine: %v, want %v", answered, c.unknown)
			}
		})
	}
}

// loggedMatch reports whether a line of pxed's log matches re within d:
// pxed writes its log through a coalescing writer, so a line may land a
// moment after the reply it tells of.
func loggedMatch(t *testing.T, px *Pxed, re *regexp.Regexp, d time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(px.log); err == nil && re.Match(b) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
