//go:build e2e

package e2e

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// station09 is the host a reload adds to the reference network.
var station09 = Station{"station-09", "52:54:00:00:00:09", netip.MustParseAddr("192.168.1.109")}

// reloadEdit is the reference network as the operator changes it while
// pxed serves: a new host with a reservation, a second pool range, and
// the installer's command line changed.
func reloadEdit(y string) string {
	y = replaceOnce(y, "        - 192.168.1.150-192.168.1.199\n", "        - 192.168.1.150-192.168.1.199\n        - 192.168.1.120-192.168.1.129\n")
	y = replaceOnce(y, "priority=critical ---", "priority=high ---")
	return replaceOnce(y, "    mac: 00:18:E7:42:7A:3E\n    ip: 192.168.1.103\n",
		"    mac: 00:18:E7:42:7A:3E\n    ip: 192.168.1.103\n  - name: station-09\n    mac: 52:54:00:00:00:09\n    ip: 192.168.1.109\n")
}

// TestReloadWhileBooting: station-01 boots over TFTP; while its initrd is in
// flight, the config file changes (reloadEdit) and pxed gets SIGHUP. The
// boot completes, the new host gets its reservation at once, the new pool
// and command line serve, and no lease is lost. Then a file with a problem
// and SIGHUP: refused with FILE:LINE in the log, /metrics and `pxed
// reload`; clients are served as before.
func TestReloadWhileBooting(t *testing.T) {
	requireTools(t, "busybox", "curl")
	ns, taps := newBridgeLab(t, 1)
	// A DHCP client beside the guest on the bridge.
	client := newNamespace(t, "cli")
	ns.ip(t, "link", "add", "brcli", "type", "veth", "peer", "name", "cli0", "netns", client.Name)
	ns.ip(t, "link", "set", "brcli", "master", "br0")
	ns.ip(t, "link", "set", "brcli", "up")
	client.ip(t, "link", "set", "cli0", "up")

	root := prepareTFTPRoot(t)
	// HTTP off: the kernel and initrd come over TFTP, slowly enough under
	// TCG for the reload to land while a transfer is in flight.
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: func(y string) string {
		return replaceOnce(y, "http:\n  enabled: true", "http:\n  enabled: false")
	}})
	tok, err := os.ReadFile(filepath.Join(px.dataDir, "api-token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))

	// A machine holding a pool address before the reload.
	pooled := randomMAC()
	setMAC(t, client, "cli0", pooled)
	pooledIP, err := udhcpc(t, client, "cli0")
	if err != nil {
		t.Fatal(err)
	}

	g := bootStation(t, ns, taps[0], station01)
	initrd := "debian-installer/amd64/initrd.gz"
	inFlight := waitTransfer(t, ns, token, initrd, 3*time.Minute)
	// Read while pxed serves (px.leases would stop it if that failed).
	before, err := px.readLeases(t)
	if err != nil {
		t.Fatal(err)
	}

	// The new file, written whole, then SIGHUP.
	orig, err := os.ReadFile(px.config)
	if err != nil {
		t.Fatal(err)
	}
	writeConfig(t, px.config, editConfig(t, string(orig), reloadEdit))
	sent := time.Now()
	if err := px.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := waitLogged(t, px, `msg="config reloaded"`, 10*time.Second)
	t.Logf("reloaded %v after SIGHUP (pxed's own measure: %s) with %s of %s in flight: %s",
		time.Since(sent).Round(time.Millisecond), logField(line, "dur"), inFlight.sentOf(), initrd, line)
	if !strings.Contains(line, "dhcp.subnets") || !strings.Contains(line, "hosts") || !strings.Contains(line, "profiles") {
		t.Errorf("the reload's log line does not name what changed: %s", line)
	}

	// The new host's reservation, at once.
	setMAC(t, client, "cli0", station09.MAC)
	if got, err := udhcpc(t, client, "cli0"); err != nil || got != station09.IP {
		t.Errorf("station-09 after the reload got %s (%v), want its reservation %s", got, err, station09.IP)
	}
	// The changed command line in station-01's generated config.
	cfgFile := filepath.Join(t.TempDir(), "pxelinux.cfg")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if out, err := ns.command(ctx, "curl", "-fsS", "-o", cfgFile, "tftp://192.168.1.21/pxelinux.cfg/01-00-18-e7-42-84-3a").CombinedOutput(); err != nil {
		t.Errorf("fetching station-01's config: %v: %s", err, out)
	} else if b, _ := os.ReadFile(cfgFile); !strings.Contains(string(b), "priority=high") {
		t.Errorf("station-01's config after the reload lacks the new command line:\n%s", b)
	}

	// The boot that was in flight completes.
	reachKernel(t, g, "TFTP, reloaded during the initrd", nil)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.101 file=debian-installer/amd64/initrd.gz bytes=40810276`)

	// The second pool is served: /metrics counts its addresses.
	m := scrapeMetrics(t, ns, token)
	if _, ok := m[`pxed_dhcp_pool_addresses{pool="192.168.1.120-192.168.1.129",state="free"}`]; !ok {
		t.Errorf("/metrics has no series of the new pool 192.168.1.120-192.168.1.129")
	}
	if m[`pxed_config_reloads_total{result="ok"}`] != 1 || m["pxed_config_last_reload_successful"] != 1 {
		t.Errorf("/metrics after the reload: reloads ok %v, last successful %v; want 1, 1",
			m[`pxed_config_reloads_total{result="ok"}`], m["pxed_config_last_reload_successful"])
	}

	// No lease lost: each one held before is held still, and the pool
	// client comes back to its address.
	after, err := px.readLeases(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range before {
		if l.State == "bound" && l.IP.Is4() {
			expectLease(t, after, l.MAC, l.IP)
		}
	}
	expectLease(t, after, station01.MAC, station01.IP)
	setMAC(t, client, "cli0", pooled)
	if got, err := udhcpc(t, client, "cli0"); err != nil || got != pooledIP {
		t.Errorf("the pool client after the reload got %s (%v), want its %s", got, err, pooledIP)
	}

	// A file with a problem: station-09's address moved into the pool.
	bad := strings.Replace(editConfig(t, string(orig), reloadEdit), "ip: 192.168.1.109", "ip: 192.168.1.160", 1)
	writeConfig(t, px.config, bad)
	badLine := 0
	for i, l := range strings.Split(bad, "\n") {
		if strings.Contains(l, "ip: 192.168.1.160") {
			badLine = i + 1
		}
	}
	where := px.config + ":" + strconv.Itoa(badLine) + ":"
	if err := px.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	t.Log(waitLogged(t, px, `msg="config reload refused; the running config stays"`, 10*time.Second))
	t.Log(waitLogged(t, px, `msg="config problem" problem="`+where, 2*time.Second))
	m = scrapeMetrics(t, ns, token)
	if m[`pxed_config_reloads_total{result="refused"}`] != 1 || m["pxed_config_last_reload_successful"] != 0 {
		t.Errorf("/metrics after the refusal: reloads refused %v, last successful %v; want 1, 0",
			m[`pxed_config_reloads_total{result="refused"}`], m["pxed_config_last_reload_successful"])
	}
	// The API (which the dashboard's banner reads) says so too.
	var last struct {
		Applied  bool     `json:"applied"`
		Problems []string `json:"problems"`
	}
	apiGet(t, ns, token, "/api/v1/reload", &last)
	if last.Applied || len(last.Problems) != 1 || !strings.HasPrefix(last.Problems[0], where) {
		t.Errorf("GET /api/v1/reload after the refusal: %+v; want applied false and the problem at %s", last, where)
	}
	// pxed reload says the same, and fails.
	out, err := ns.command(t.Context(), px.bin, "reload", "--api", "http://127.0.0.1:9069",
		"--token-file", filepath.Join(px.dataDir, "api-token")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), where) {
		t.Errorf("pxed reload of the bad file: %v, %s; want a failure naming %s", err, out, where)
	}
	// The config served is still the good one.
	setMAC(t, client, "cli0", station09.MAC)
	if got, err := udhcpc(t, client, "cli0"); err != nil || got != station09.IP {
		t.Errorf("station-09 after the refused reload got %s (%v), want %s", got, err, station09.IP)
	}
	setMAC(t, client, "cli0", randomMAC())
	if got, err := udhcpc(t, client, "cli0"); err != nil || !got.IsValid() {
		t.Errorf("a new client after the refused reload got %s (%v)", got, err)
	}
}

// transferSeen is a file transfer in flight as GET /api/v1/transfers shows it.
type transferSeen struct {
	Proto string `json:"proto"`
	File  string `json:"file"`
	Size  int64  `json:"size"`
	Sent  int64  `json:"sent"`
}

func (x transferSeen) sentOf() string {
	return strconv.FormatInt(x.Sent, 10) + " of " + strconv.FormatInt(x.Size, 10) + " bytes"
}

// waitTransfer waits until the API shows file in flight, part-way.
func waitTransfer(t *testing.T, ns *Namespace, token, file string, within time.Duration) transferSeen {
	t.Helper()
	var seen transferSeen
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	err := waitFor(ctx, 50*time.Millisecond, func() (bool, error) {
		var v struct {
			Transfers []transferSeen `json:"transfers"`
		}
		apiGet(t, ns, token, "/api/v1/transfers", &v)
		for _, tr := range v.Transfers {
			if tr.File == file && tr.Sent > 0 && tr.Sent < tr.Size {
				seen = tr
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("%s never seen in flight: %v", file, err)
	}
	return seen
}

// writeConfig replaces the config file whole (a new file renamed over it),
// as an editor or a configuration manager does, so that pxed never reads
// half a file.
func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// logField is the value of key=value in a log line.
func logField(line, key string) string {
	m := regexp.MustCompile(`\b` + key + `=(\S+)`).FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return m[1]
}

// scrapeMetrics reads pxed's /metrics inside ns, by series.
func scrapeMetrics(t *testing.T, ns *Namespace, token string) map[string]float64 {
	t.Helper()
	out, err := ns.command(t.Context(), "curl", "-sSf", "-H", "Authorization: Bearer "+token, "http://127.0.0.1:9069/metrics").Output()
	if err != nil {
		t.Fatalf("scraping /metrics: %v", err)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		if s := sample.FindStringSubmatch(line); s != nil && !strings.HasPrefix(line, "#") {
			if v, err := strconv.ParseFloat(s[2], 64); err == nil {
				m[s[1]] = v
			}
		}
	}
	return m
}

// TestReloadAsNobody: a pxed that dropped root (--user nobody) reloads its
// file as nobody: nothing a reload does needs root, only a file (and TFTP
// root) the user can read. A new host's reservation serves at once.
func TestReloadAsNobody(t *testing.T) {
	server, client := newVethLab(t)
	requireTools(t, "busybox")
	// The test's temporary directories live under one made 0700 for root:
	// open it so that nobody can reach the data directory and the file.
	if err := os.Chmod(filepath.Dir(t.TempDir()), 0o755); err != nil {
		t.Fatal(err)
	}
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Args: []string{"--user", "nobody"},
		Edit: func(y string) string { return y }})
	expectLogged(t, px, `msg="privileges dropped" user=nobody`)
	// The file and the stand-in TFTP root beside it, readable by nobody.
	if err := os.Chmod(filepath.Dir(px.config), 0o755); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(px.config)
	if err != nil {
		t.Fatal(err)
	}
	writeConfig(t, px.config, editConfig(t, string(orig), reloadEdit))
	if err := px.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	t.Log(waitLogged(t, px, `msg="config reloaded"`, 10*time.Second))
	setMAC(t, client, "cli0", station09.MAC)
	if got, err := udhcpc(t, client, "cli0"); err != nil || got != station09.IP {
		t.Errorf("station-09 after a reload as nobody got %s (%v), want %s", got, err, station09.IP)
	}
}
