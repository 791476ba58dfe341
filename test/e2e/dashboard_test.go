//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// markupName is a host name (DHCP option 12) that would inject an element
// running script into a page that put it there as HTML. No spaces: udhcpc
// sends only the first word of a -x value (HTML takes "/" between
// attributes as well).
const markupName = `<img/src=x/onerror=alert(1)>`

// dashLab is pxed on the reference network's server side of a veth pair,
// and a client namespace that plays machines.
type dashLab struct {
	server, client *Namespace
	px             *Pxed
	token          string
}

// newDashLab starts it; edit, if given, changes pxed's config further, and
// setup runs on the lab before pxed starts.
func newDashLab(t *testing.T, edit func(string) string, setup func(server, client *Namespace)) *dashLab {
	t.Helper()
	requireTools(t, "busybox", "ss", "socat")
	server, client := newVethLab(t)
	if setup != nil {
		setup(server, client)
	}
	// Short TFTP timeouts, so that a client that stops answering is given
	// up on within a second.
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Edit: func(y string) string {
		y = replaceOnce(y, "tftp:\n", "tftp:\n  timeout: 100ms\n  retries: 2\n")
		if edit != nil {
			y = edit(y)
		}
		return y
	}})
	return &dashLab{server: server, client: client, px: px, token: waitWeb(t, server, px)}
}

// waitWeb waits for pxed's management server in ns and returns the API
// token. The server starts after DHCP and TFTP and writes the token file
// on its first start.
func waitWeb(t *testing.T, ns *Namespace, px *Pxed) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var token string
	err := waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		tok, err := os.ReadFile(filepath.Join(px.dataDir, "api-token"))
		if err != nil {
			return false, nil
		}
		token = strings.TrimSpace(string(tok))
		out, err := ns.command(ctx, "ss", "-Hltn").Output()
		return err == nil && strings.Contains(string(out), "127.0.0.1:9069"), nil
	})
	if err != nil {
		t.Fatalf("pxed's management server did not come up: %v\n%s", err, tail(px.log, 30))
	}
	return token
}

// machine plays one network-booting machine from the client namespace:
// a DHCP exchange as a PXE client sending host name name, then TFTP
// fetches of files. It returns the address it was given.
func (l *dashLab) machine(t *testing.T, mac, name string) netip.Addr {
	t.Helper()
	setMAC(t, l.client, "cli0", mac)
	lease, err := udhcpcLease(t, l.client, "cli0", "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "hostname:"+name)
	if err != nil {
		t.Fatal(err)
	}
	// Our udhcpc script only records the lease; the TFTP client needs the
	// address on the interface.
	l.client.ip(t, "addr", "add", lease.IP.String()+"/24", "dev", "cli0")
	return lease.IP
}

// fetch gets file over TFTP from the client namespace and reports whether
// the server sent it.
func (l *dashLab) fetch(t *testing.T, file string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := l.client.command(ctx, "busybox", "tftp", "-g", "-r", file, "-l", filepath.Join(t.TempDir(), "got"), "192.168.1.21").CombinedOutput()
	if err != nil {
		t.Logf("tftp %s: %v: %s", file, err, strings.TrimSpace(string(out)))
	}
	return err == nil
}

// TestDashboard: a PXE client whose host name is markup gets an address,
// fetches pxelinux.0 and fails to find pxelinux.cfg/default. Headless
// chromium, inside pxed's namespace, opens the dashboard: the machine is in
// the table with its name shown as text (no element injected, no script
// run), its timeline marks the failure, a failure that happens while the
// page is open appears without a reload, and the lease is listed. The
// screenshot is kept among the test's artifacts.
func TestDashboard(t *testing.T) {
	l := newDashLab(t, nil, nil)
	mac := randomMAC()
	ip := l.machine(t, mac, markupName)
	if !l.fetch(t, "pxelinux.0") {
		t.Fatal("pxelinux.0 was not served")
	}
	if l.fetch(t, "pxelinux.cfg/default") {
		t.Fatal("pxelinux.cfg/default was served; the test root has none")
	}

	b := startBrowser(t, l.server, l.token)
	b.navigate(t, dashboardURL+"#"+mac)
	row := fmt.Sprintf(`document.querySelector('#machines tbody tr[data-mac=%q]')`, mac)
	b.waitJS(t, "the machine", row+` !== null`, 30*time.Second)
	host := eval[string](t, b, row+`.cells[1].textContent`)
	if !strings.Contains(host, markupName) {
		t.Errorf("host cell shows %q, want the name the client sent, %q, as text", host, markupName)
	}
	injected := eval[int](t, b, `document.querySelectorAll('img, [onerror]').length`)
	if injected != 0 {
		t.Errorf("%d elements injected into the page from the host name", injected)
	}
	b.waitJS(t, "the machine marked failed", row+`.classList.contains('failed') && `+row+`.textContent.includes('pxelinux.cfg/default not found')`, 30*time.Second)
	b.waitJS(t, "the timeline with the failure marked",
		`[...document.querySelectorAll('#timeline tr.fail')].some(r => r.textContent.includes('pxelinux.cfg/default not found'))`, 30*time.Second)
	b.waitJS(t, "the lease", fmt.Sprintf(`[...document.querySelectorAll('#leases tbody tr')].some(r => r.textContent.includes(%q))`, ip.String()), 30*time.Second)

	// Live: a failure while the page is open appears without a reload.
	b.waitJS(t, "the event stream connected", `document.getElementById('live').classList.contains('on')`, 30*time.Second)
	if l.fetch(t, "debian-installer/amd64/boot-missing.efi") {
		t.Fatal("a file that does not exist was served")
	}
	b.waitJS(t, "a new failure, live", `[...document.querySelectorAll('#timeline tr.fail')].some(r => r.textContent.includes('debian-installer/amd64/boot-missing.efi not found'))`, 30*time.Second)
	// A client that asks for a file and never acknowledges a block.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if out, err := l.client.command(ctx, "sh", "-c",
		`printf '\000\001pxelinux.0\000octet\000' | socat -T 2 - UDP4-DATAGRAM:192.168.1.21:69 >/dev/null`).CombinedOutput(); err != nil {
		t.Logf("socat: %v: %s", err, out)
	}
	b.waitJS(t, "the TFTP timeout", `[...document.querySelectorAll('#timeline tr.fail')].some(r => r.textContent.includes('pxelinux.0: TFTP timeout'))`, 30*time.Second)
	b.waitJS(t, "the machine among the discovered", fmt.Sprintf(`[...document.querySelectorAll('#discovered tbody tr')].some(r => r.cells[0].textContent === %q)`, mac), 30*time.Second)
	if n := b.Dialogs.Load(); n != 0 {
		t.Errorf("%d script dialogs opened", n)
	}
	b.screenshot(t, "dashboard.png")
}

// TestDashboardDualStack: a machine leased an address over DHCPv4 (udhcpc)
// and one over DHCPv6 (dhclient -6 with a DUID-LL of the same MAC) is one
// row of the dashboard's machine table showing both addresses, and the
// lease table lists its IPv6 lease with its family, MAC, DUID and IAID
// beside the IPv4 one; its timeline names the DHCPv6 messages.
func TestDashboardDualStack(t *testing.T) {
	requireTools(t, "dhclient", "sysctl")
	l := newDashLab(t, func(y string) string { return y + dhcp6Section }, func(server, client *Namespace) {
		server.ip(t, "addr", "add", "2001:db8:1::21/64", "dev", "srv0", "nodad")
		if out, err := client.command(t.Context(), "sysctl", "-qw", "net.ipv6.conf.cli0.accept_dad=0").CombinedOutput(); err != nil {
			t.Fatalf("sysctl: %v: %s", err, out)
		}
	})
	mac := randomMAC()
	ip4 := l.machine(t, mac, "dual-1")
	waitLinkLocal(t, l.client, "cli0")
	ip6, _ := dhclient6(t, l.client, "cli0", 1, "-D", "LL")

	b := startBrowser(t, l.server, l.token)
	b.navigate(t, dashboardURL+"#"+mac)
	row := fmt.Sprintf(`document.querySelector('#machines tbody tr[data-mac=%q]')`, mac)
	b.waitJS(t, "the machine with both addresses", fmt.Sprintf(`%s !== null && %s.cells[2].textContent === %q`, row, row, ip4.String()+" "+ip6.String()), 30*time.Second)
	if n := eval[int](t, b, `document.querySelectorAll('#machines tbody tr').length`); n != 1 {
		t.Errorf("%d machines in the table, want the one", n)
	}
	lease6 := fmt.Sprintf(`[...document.querySelectorAll('#leases tbody tr[data-family=ipv6]')].find(r => r.cells[0].textContent === %q)`, ip6.String())
	b.waitJS(t, "the IPv6 lease", lease6+` !== undefined`, 30*time.Second)
	cells := eval[[]string](t, b, `[...`+lease6+`.cells].map(c => c.textContent)`)
	duid := "00030001" + strings.ReplaceAll(mac, ":", "")
	if len(cells) < 4 || cells[1] != "IPv6" || cells[2] != mac || !strings.HasPrefix(cells[3], duid+" / ") {
		t.Errorf("IPv6 lease row %q, want family IPv6, MAC %s, DUID %s and its IAID", cells, mac, duid)
	}
	b.waitJS(t, "the IPv4 lease", fmt.Sprintf(`[...document.querySelectorAll('#leases tbody tr[data-family=ipv4]')].some(r => r.cells[0].textContent === %q && r.cells[2].textContent === %q)`, ip4.String(), mac), 30*time.Second)
	b.waitJS(t, "the DHCPv6 Reply in the timeline", fmt.Sprintf(`[...document.querySelectorAll('#timeline tr')].some(r => r.textContent.includes(%q))`, "DHCPv6 Reply "+ip6.String()), 30*time.Second)
	b.screenshot(t, "dashboard-dual-stack.png")
}

// TestMetricsAndStatus: /metrics counts the DHCP exchange and the TFTP
// transfers of real clients, the pool's addresses in use, and `pxed status`
// prints the machine with its failure.
func TestMetricsAndStatus(t *testing.T) {
	requireTools(t, "curl")
	l := newDashLab(t, nil, nil)
	before := l.metrics(t)
	mac := randomMAC()
	ip := l.machine(t, mac, "node-7")
	l.fetch(t, "pxelinux.0")
	l.fetch(t, "pxelinux.cfg/default")
	after := l.metrics(t)
	for _, c := range []struct {
		series string
		grew   float64
	}{
		{`pxed_dhcp_messages_total{result="offer",type="DISCOVER"}`, 1},
		{`pxed_dhcp_messages_total{result="ack",type="REQUEST"}`, 1},
		{`pxed_file_transfers_total{proto="tftp",result="ok"}`, 1},
		{`pxed_file_transfers_total{proto="tftp",result="not_found"}`, 1},
		{`pxed_file_transfer_duration_seconds_count{proto="tftp",result="ok"}`, 1},
		{`pxed_dhcp_pool_addresses{pool="192.168.1.150-192.168.1.199",state="in_use"}`, 1},
		{`pxed_dhcp_pool_addresses{pool="192.168.1.150-192.168.1.199",state="free"}`, -1},
	} {
		if d := after[c.series] - before[c.series]; d != c.grew {
			t.Errorf("%s went from %v to %v, want a change of %v", c.series, before[c.series], after[c.series], c.grew)
		}
	}
	if after[`pxed_file_bytes_total{proto="tftp"}`] <= before[`pxed_file_bytes_total{proto="tftp"}`] {
		t.Error("TFTP bytes did not grow")
	}

	out, err := l.server.command(t.Context(), l.px.bin, "status", "--api", dashboardURL,
		"--token-file", filepath.Join(l.px.dataDir, "api-token")).CombinedOutput()
	if err != nil {
		t.Fatalf("pxed status: %v\n%s", err, out)
	}
	t.Logf("pxed status:\n%s", out)
	line := ""
	for _, s := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(s, mac) {
			line = s
		}
	}
	for _, want := range []string{"node-7", ip.String(), "bios", "failed: pxelinux.cfg/default not found"} {
		if !strings.Contains(line, want) {
			t.Errorf("pxed status row for %s lacks %q: %q", mac, want, line)
		}
	}
}

var sample = regexp.MustCompile(`^(\S+) (\S+)$`)

// metrics scrapes pxed's /metrics from inside its namespace.
func (l *dashLab) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	out, err := l.server.command(t.Context(), "curl", "-sSf", "-H", "Authorization: Bearer "+l.token, dashboardURL+"metrics").Output()
	if err != nil {
		t.Fatalf("scraping /metrics: %v", err)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		if s := sample.FindStringSubmatch(line); s != nil && !strings.HasPrefix(line, "#") {
			v, err := strconv.ParseFloat(s[2], 64)
			if err == nil {
				m[s[1]] = v
			}
		}
	}
	return m
}

// TestDashboardLabBoot watches station-01 of the reference network boot
// in QEMU (SeaBIOS, iPXE, its iPXE script, the installer's kernel and
// initrd over HTTP) with the dashboard open from before power-on: the machine appears
// under its host name and its timeline fills live up to the initrd. The
// screenshot is the README's.
func TestDashboardLabBoot(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})
	b := startBrowser(t, ns, waitWeb(t, ns, px))
	b.navigate(t, dashboardURL+"#"+station01.MAC)
	reachKernel(t, bootGuest(t, ns, taps[0], station01, biosIPXE), "SeaBIOS + iPXE → iPXE script, with the dashboard open", nil)

	row := fmt.Sprintf(`document.querySelector('#machines tbody tr[data-mac=%q]')`, station01.MAC)
	b.waitJS(t, "station-01 with its initrd sent", row+` !== null && `+row+`.cells[1].textContent.includes('station-01') && `+row+`.textContent.includes('initrd sent')`, 30*time.Second)
	for _, step := range []string{"DHCP ACK 192.168.1.101", "ipxe/00-18-e7-42-84-3a.ipxe", "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz"} {
		b.waitJS(t, "the timeline step "+step, fmt.Sprintf(`[...document.querySelectorAll('#timeline tr.ok')].some(r => r.cells[1].textContent.includes(%q))`, step), 30*time.Second)
	}
	if fails := eval[string](t, b, `[...document.querySelectorAll('#timeline tr.fail')].map(r => r.textContent).join('; ')`); fails != "" {
		t.Logf("failed steps shown: %s", fails)
	}
	b.screenshot(t, "dashboard-lab-boot.png")
}
