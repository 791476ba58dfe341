//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/inventory"
)

// updateDocs rewrites the screenshots kept in docs/ (go test -tags e2e
// -run TestDashboardProgress ./test/e2e -update-docs); without it they
// are written among the test's artifacts only, so that a run leaves the
// tree as it was.
var updateDocs = flag.Bool("update-docs", false, "rewrite the dashboard screenshots kept in docs/")

// progressRate is the link speed toward the station while it boots: slow
// enough that its 40 MB initrd takes some 13 s, so that the dashboard is
// caught with the transfer part-way.
const progressRate = "24mbit"

// TestDashboardProgress watches station-01 (SeaBIOS, iPXE, PXELINUX, the
// installer's kernel and initrd over HTTP) boot through a link slowed by
// a token bucket (tc tbf; the lab kernel has no netem) with the dashboard
// open: while the initrd is in flight its progress bar shows it part-way
// (strictly between 0 and 100 %, read from the DOM), the boot's waterfall
// draws it growing, and the screenshot of that moment is
// docs/dashboard-progress.png; once the kernel runs, the
// boot's waterfall has one bar per step of its timeline, the failed ones
// red; and the reference network's pool is drawn with its 50 addresses.
func TestDashboardProgress(t *testing.T) {
	requireTools(t, "tc")
	ns, taps := newBridgeLab(t, 1)
	// The tap's egress is what the bridge sends the station.
	if out, err := ns.command(t.Context(), "tc", "qdisc", "add", "dev", taps[0], "root", "tbf",
		"rate", progressRate, "burst", "32kb", "latency", "400ms").CombinedOutput(); err != nil {
		t.Fatalf("tc tbf on %s: %v: %s", taps[0], err, out)
	}
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})
	b := startBrowser(t, ns, waitWeb(t, ns, px))
	b.navigate(t, dashboardURL+"#"+station01.MAC)
	g := bootGuest(t, ns, taps[0], station01, biosIPXE)

	const initrd = "debian-installer/amd64/initrd.gz"
	bar := fmt.Sprintf(`document.querySelector('#transfers tbody tr[data-file=%q][data-mac=%q] progress')`, initrd, station01.MAC)
	// Part-way: past the first tenth, so that the picture shows a bar.
	b.waitJS(t, "station-01's initrd part-way", bar+` !== null && `+bar+`.value > 0.1 * `+bar+`.max && `+bar+`.value < `+bar+`.max`, 3*time.Minute)
	value, max := eval[float64](t, b, bar+`.value`), eval[float64](t, b, bar+`.max`)
	t.Logf("initrd progress bar: %.0f of %.0f bytes (%.1f %%)", value, max, 100*value/max)
	if !(value > 0 && value < max) {
		t.Errorf("initrd progress bar at %.0f of %.0f, want strictly between 0 and 100 %%", value, max)
	}
	if want := fileSize(t, filepath.Join(root, initrd)); int64(max) != want {
		t.Errorf("initrd progress bar's whole is %.0f bytes, want the initrd's Content-Length, %d", max, want)
	}
	b.waitJS(t, "the initrd growing in the waterfall", fmt.Sprintf(`[...document.querySelectorAll('#timeline .boot:first-child .wf-row.running')].some(r => r.textContent.includes(%q))`, initrd), 10*time.Second)
	shot := b.screenshot(t, "dashboard-progress.png")
	if *updateDocs && shot != "" {
		png, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(filepath.Join("..", "..", "docs", "dashboard-progress.png"), png, 0o644)
		}
		if err != nil {
			t.Errorf("updating docs/dashboard-progress.png: %v", err)
		}
	}

	reachKernel(t, g, "SeaBIOS + iPXE → iPXE script through a "+progressRate+" link, with the dashboard open", nil)
	b.waitJS(t, "the initrd in the timeline", fmt.Sprintf(`[...document.querySelectorAll('#timeline .boot:first-child tr.ok')].some(r => r.cells[1].textContent.includes(%q))`, initrd), 30*time.Second)
	b.waitJS(t, "no transfer in flight", `document.querySelectorAll('#transfers tbody tr').length === 0`, 30*time.Second)
	const boot = `document.querySelector('#timeline .boot:first-child')`
	b.waitJS(t, "the waterfall with nothing running", boot+`.querySelectorAll('.wf-bar.running').length === 0`, 10*time.Second)
	steps := eval[int](t, b, boot+`.querySelectorAll('table.steps tr[data-status]').length`)
	bars := eval[int](t, b, boot+`.querySelectorAll('.waterfall .wf-bar').length`)
	failed := eval[int](t, b, boot+`.querySelectorAll('table.steps tr.fail').length`)
	red := eval[int](t, b, boot+`.querySelectorAll('.waterfall .wf-bar.fail').length`)
	t.Logf("last boot: %d steps, %d waterfall bars, %d failed, %d red", steps, bars, failed, red)
	if steps < 4 || bars != steps {
		t.Errorf("waterfall has %d bars for %d steps, want one per step", bars, steps)
	}
	if red != failed {
		t.Errorf("waterfall has %d red bars for %d failed steps", red, failed)
	}
	// Each bar lies within the time axis.
	if out := eval[int](t, b, boot+`.querySelectorAll('.waterfall .wf-bar').length - [...`+boot+`.querySelectorAll('.waterfall .wf-bar')].filter(e => {
		const r = e.getBoundingClientRect(), a = e.parentElement.getBoundingClientRect();
		return r.left >= a.left - 1 && r.right <= a.right + 1 && r.width > 0;
	}).length`); out != 0 {
		t.Errorf("%d waterfall bars outside their track", out)
	}
	// station-01's address is reserved, outside the pool, whose 50
	// addresses the bar counts.
	b.waitJS(t, "the reference network's pool", `[...document.querySelectorAll('#pools .pool[data-first="192.168.1.150"]')].some(p => / of 50 in use/.test(p.querySelector('.pool-text').textContent))`, 30*time.Second)
	b.screenshot(t, "dashboard-waterfall.png")
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestDashboardViews: a machine pxed discovered before, whose discovery
// boot reported its hardware (the catalog it starts with holds it), boots
// as a PXE client, fetches pxelinux.0, misses pxelinux.cfg/default, then
// declines its address (DHCPDECLINE). With the dashboard open on it: its
// inventory shows every fact reported and the rule that matched; its boot's
// waterfall has one bar per step, the failed one red; and the pool's bar
// counts the declined address, listed as held back by that machine.
func TestDashboardViews(t *testing.T) {
	requireTools(t, "busybox", "ss", "socat")
	server, client := newVethLab(t)
	mac := randomMAC()
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	seedCatalog(t, dataDir, catalog.Machine{
		MAC: config.MAC{HardwareAddr: hw}, Arch: "efi-x64", FirstSeen: time.Now(), LastSeen: time.Now(), Rule: "rack-a",
		Inventory: &inventory.Inventory{
			DMI:         inventory.DMI{Vendor: "QEMU", Product: "Standard PC (Q35 + ICH9, 2009)", Serial: "PXED-VIEWS-0001"},
			Firmware:    inventory.Firmware{Mode: inventory.ModeUEFI, SecureBoot: true},
			CPU:         inventory.CPU{Model: "QEMU Virtual CPU version 2.5+", Sockets: 1, Cores: 2, Threads: 2},
			MemoryBytes: 1536 << 20,
			Disks: []inventory.Disk{
				{Name: "vda", SizeBytes: 8 << 30, Serial: "disk-a"},
				{Name: "vdb", SizeBytes: 16 << 30, Serial: "disk-b", Rotational: true},
			},
			NICs: []inventory.NIC{
				{Name: "eth0", MAC: mac, Driver: "e1000", SpeedMbps: 1000, Booted: true},
				{Name: "eth1", MAC: "52:54:00:00:00:02", Driver: "virtio_net"},
			},
		},
	})
	px := startPxed(t, server, pxedOptions{Interface: "srv0", DataDir: dataDir, Edit: func(y string) string {
		return replaceOnce(y, "tftp:\n", "tftp:\n  timeout: 100ms\n  retries: 2\n")
	}})
	l := &dashLab{server: server, client: client, px: px, token: waitWeb(t, server, px)}
	ip := l.machine(t, mac, "rack-a-01")
	if !l.fetch(t, "pxelinux.0") {
		t.Fatal("pxelinux.0 was not served")
	}
	if l.fetch(t, "pxelinux.cfg/default") {
		t.Fatal("pxelinux.cfg/default was served; the test root has none")
	}
	decline(t, client, hw, ip)

	b := startBrowser(t, server, l.token)
	b.navigate(t, dashboardURL+"#"+mac)
	b.waitJS(t, "the inventory", `!document.getElementById('inventory').hidden`, 30*time.Second)
	facts := eval[map[string]string](t, b, `Object.fromEntries([...document.querySelectorAll('#inventory dt')].map(d => [d.textContent, d.nextElementSibling.textContent]))`)
	delete(facts, "Reported")
	wantFacts := map[string]string{
		"System":   "QEMU Standard PC (Q35 + ICH9, 2009)",
		"Serial":   "PXED-VIEWS-0001",
		"Firmware": "UEFI, Secure Boot on",
		"CPU":      "QEMU Virtual CPU version 2.5+, 1 socket, 2 cores, 2 threads",
		"Memory":   "1.5 GiB",
		"Rule":     "rack-a",
	}
	if d := cmp.Diff(wantFacts, facts); d != "" {
		t.Errorf("inventory facts (-want +got):\n%s", d)
	}
	rows := func(table string) []string {
		return eval[[]string](t, b, `[...document.querySelectorAll('#inventory table.`+table+` tr')].slice(1).map(r => [...r.cells].map(c => c.textContent).join('|'))`)
	}
	if d := cmp.Diff([]string{"vda|8 GiB||disk-a|solid state", "vdb|16 GiB||disk-b|rotational"}, rows("inv-disks")); d != "" {
		t.Errorf("disks (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"eth0|" + mac + "|e1000|1000 Mb/s|booted", "eth1|52:54:00:00:00:02|virtio_net||"}, rows("inv-nics")); d != "" {
		t.Errorf("NICs (-want +got):\n%s", d)
	}

	const boot = `document.querySelector('#timeline .boot:first-child')`
	b.waitJS(t, "the failed step", boot+` !== null && `+boot+`.querySelectorAll('table.steps tr.fail').length > 0`, 30*time.Second)
	steps := eval[int](t, b, boot+`.querySelectorAll('table.steps tr[data-status]').length`)
	bars := eval[int](t, b, boot+`.querySelectorAll('.waterfall .wf-bar').length`)
	red := eval[[]string](t, b, `[...`+boot+`.querySelectorAll('.waterfall .wf-row.fail')].map(r => r.querySelector('.wf-label').textContent + ' ' + getComputedStyle(r.querySelector('.wf-bar')).backgroundColor)`)
	t.Logf("last boot: %d steps, %d bars, red: %q", steps, bars, red)
	if bars != steps {
		t.Errorf("waterfall has %d bars for %d steps, want one per step", bars, steps)
	}
	if d := cmp.Diff([]string{"TFTP pxelinux.cfg/default rgb(185, 28, 28)"}, red); d != "" {
		t.Errorf("red waterfall bars (-want +got):\n%s", d)
	}

	pool := `document.querySelector('#pools .pool[data-first="192.168.1.150"]')`
	b.waitJS(t, "the declined address held back", pool+` !== null && `+pool+`.textContent.includes('held back after a DECLINE')`, 30*time.Second)
	text := eval[string](t, b, pool+`.querySelector('.pool-text').textContent`)
	if want := "1 of 50 in use (2 %) · 1 held back after a DECLINE · 1 declined in all"; text != want {
		t.Errorf("pool reads %q, want %q", text, want)
	}
	squatters := eval[[]string](t, b, `[...`+pool+`.querySelectorAll('.squatters li')].map(l => l.textContent)`)
	if len(squatters) != 1 || !strings.HasPrefix(squatters[0], ip.String()+" declined by "+mac+", held until ") {
		t.Errorf("squatters listed: %q, want %s declined by %s", squatters, ip, mac)
	}
	if w := eval[float64](t, b, pool+`.querySelector('.pool-squat').getBoundingClientRect().width`); w <= 0 {
		t.Errorf("the squatter's part of the pool bar is %v px wide", w)
	}
	if n := b.Dialogs.Load(); n != 0 {
		t.Errorf("%d script dialogs opened", n)
	}
	b.screenshot(t, "dashboard-views.png")
}

// seedCatalog writes the catalog pxed finds in dataDir when it starts:
// machines discovered before.
func seedCatalog(t *testing.T, dataDir string, ms ...catalog.Machine) {
	t.Helper()
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(catalog.State{Machines: ms})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, catalog.FileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// decline sends, from the client namespace, the DHCPDECLINE of the client
// with hardware address hw for ip (RFC 2131 §4.4.4: requested address
// option 50, server identifier option 54, no ciaddr), to the server.
func decline(t *testing.T, ns *Namespace, hw net.HardwareAddr, ip netip.Addr) {
	t.Helper()
	m, err := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeDecline), dhcpv4.WithHwAddr(hw),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip.AsSlice())),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP("192.168.1.21"))))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "decline")
	if err := os.WriteFile(file, m.ToBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if out, err := ns.command(ctx, "socat", "-u", "OPEN:"+file, "UDP4-DATAGRAM:192.168.1.21:67,sourceport=68").CombinedOutput(); err != nil {
		t.Fatalf("sending DHCPDECLINE: %v: %s", err, out)
	}
}
