//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
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

	reachKernel(t, g, "SeaBIOS + iPXE → PXELINUX through a "+progressRate+" link, with the dashboard open", nil)
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
