//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bind is a BIND 9 named the test runs in a namespace, primary for
// test.lan and 1.168.192.in-addr.arpa, taking updates signed with the
// key tsig-keygen made.
type bind struct {
	ns   *Namespace
	dir  string
	conf string
	log  string
	p    *proc
}

// newBind writes named's config, the key and the zones (the forward zone
// with extra lines of the operator's own) into a directory of the test's
// and starts named there.
func newBind(t *testing.T, ns *Namespace, extra string) *bind {
	t.Helper()
	requireTools(t, "named", "tsig-keygen", "dig")
	dir := t.TempDir()
	b := &bind{ns: ns, dir: dir, conf: filepath.Join(dir, "named.conf"), log: filepath.Join(dir, "named.log")}
	key, err := exec.Command("tsig-keygen", "-a", "hmac-sha256", "ddns-key").Output()
	if err != nil {
		t.Fatalf("tsig-keygen: %v", err)
	}
	const soa = "$TTL 300\n@ IN SOA ns.test.lan. admin.test.lan. 1 3600 600 86400 300\n@ IN NS ns.test.lan.\n"
	files := map[string]string{
		"ddns.key":    string(key),
		"test.lan.db": soa + "ns IN A 192.168.1.21\n" + extra,
		"rev.db":      soa,
		"named.conf": fmt.Sprintf(`options {
	directory "%[1]s";
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	listen-on port 53 { 192.168.1.21; 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
include "%[1]s/ddns.key";
zone "test.lan" { type primary; file "%[1]s/test.lan.db"; allow-update { key "ddns-key"; }; };
zone "1.168.192.in-addr.arpa" { type primary; file "%[1]s/rev.db"; allow-update { key "ddns-key"; }; };
`, dir),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b.start(t)
	t.Cleanup(func() {
		b.stop(t)
		if t.Failed() {
			t.Logf("named log (tail of %s):\n%s", b.log, tail(b.log, 40))
		}
	})
	return b
}

// start runs named in the foreground (-g: no fork, logs to stderr) over
// the same files, and waits until it answers.
func (b *bind) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(b.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := b.ns.command(context.Background(), "named", "-g", "-4", "-c", b.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if b.p, err = start("named", cmd); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := waitFor(ctx, 50*time.Millisecond, func() (bool, error) {
		if b.p.exited() {
			return false, fmt.Errorf("named exited: %v\n%s", b.p.err, tail(b.log, 20))
		}
		return b.dig(t, "test.lan", "SOA") != "", nil
	}); err != nil {
		t.Fatalf("named: %v", err)
	}
}

// stop ends named by its PID; its zone changes are in its journal, which
// the next start reads.
func (b *bind) stop(t *testing.T) {
	t.Helper()
	if b.p == nil || b.p.exited() {
		return
	}
	if inTime, _ := b.p.stop(syscall.SIGTERM, 10*time.Second); !inTime {
		t.Errorf("named did not exit within 10s of SIGTERM; killed")
	}
}

// dig asks named for name's records of type typ, +short: "" when none.
func (b *bind) dig(t *testing.T, name, typ string) string {
	t.Helper()
	out, err := b.ns.command(t.Context(), "dig", "+short", "+tries=1", "+time=1", "@127.0.0.1", name, typ).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// waitDNS polls named every 10ms until name's typ records are want (""
// for none) and returns how long that took; the test fails past limit.
func (b *bind) waitDNS(t *testing.T, name, typ, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	var got string
	if err := waitFor(ctx, 10*time.Millisecond, func() (bool, error) {
		got = b.dig(t, name, typ)
		return got == want, nil
	}); err != nil {
		t.Errorf("%s %s: %q after %s, want %q", name, typ, got, limit, want)
	}
	return time.Since(start)
}

// TestDNSUpdatesBIND: pxed puts the machines it leases addresses to in a
// real BIND 9's zones with TSIG-signed updates: station-02's A and PTR
// records appear within a second of its ACK and go with its RELEASE; a
// name the operator put in the zone by hand is never overwritten (the
// conflict logged and counted); with BIND stopped an ACK takes no longer,
// and the records appear once BIND is back; an update pending when pxed
// stops is redone when it starts again.
func TestDNSUpdatesBIND(t *testing.T) {
	requireTools(t, "busybox", "curl")
	server, client := newVethLab(t)
	// station-03 is the operator's: a hand-made record at another address.
	b := newBind(t, server, "station-03 IN A 192.168.1.250\n")
	ddnsConf := fmt.Sprintf(`
dns_updates:
  servers: [192.168.1.21:53]
  key_file: %s
  forward_zone: test.lan
  reverse_zones: [1.168.192.in-addr.arpa]
  ttl: 300
`, filepath.Join(b.dir, "ddns.key"))
	data := filepath.Join(t.TempDir(), "data")
	opts := pxedOptions{Interface: "srv0", DataDir: data, Edit: func(y string) string { return y + ddnsConf }}
	px := startPxed(t, server, opts)
	token := waitWeb(t, server, px)

	lease := func(mac string, extra ...string) (string, time.Duration) {
		t.Helper()
		setMAC(t, client, "cli0", mac)
		start := time.Now()
		l, err := udhcpcLease(t, client, "cli0", extra...)
		if err != nil {
			t.Fatal(err)
		}
		return l.IP.String(), time.Since(start)
	}

	// station-02 leases: its names appear.
	ip, ackUp := lease("00:18:e7:42:85:21")
	if ip != "192.168.1.102" {
		t.Fatalf("station-02 got %s, want 192.168.1.102", ip)
	}
	tA := b.waitDNS(t, "station-02.test.lan", "A", "192.168.1.102", time.Second)
	tPTR := b.waitDNS(t, "102.1.168.192.in-addr.arpa", "PTR", "station-02.test.lan.", time.Second)
	t.Logf("station-02: DHCP exchange %s; A visible %s after udhcpc had its lease (%s after its DISCOVER), PTR %s later",
		ackUp.Round(time.Millisecond), tA.Round(time.Millisecond), (ackUp + tA).Round(time.Millisecond), tPTR.Round(time.Millisecond))
	if got := b.dig(t, "station-02.test.lan", "DHCID"); got == "" {
		t.Error("station-02.test.lan has no DHCID record")
	}

	// RELEASE: both go. ISC dhclient leases station-02's address again
	// (a renewal: nothing changes in DNS), then releases it (-r).
	rel := t.TempDir()
	conf, leases := filepath.Join(rel, "dhclient.conf"), filepath.Join(rel, "dhclient.leases")
	if err := os.WriteFile(conf, []byte("timeout 30;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runDhclient(t, client, "cli0", rel, conf, leases, filepath.Join(rel, "dhclient.out")); err != nil {
		t.Fatal(err)
	}
	// The RELEASE is a unicast from the leased address to the server
	// (RFC 2131 §4.4.6): the interface holds the address (dhclient's
	// script here configures nothing) for the client's kernel to route it.
	client.ip(t, "addr", "add", "192.168.1.102/24", "dev", "cli0")
	if out, err := client.command(t.Context(), "dhclient", "-r", "-v", "-sf", "/bin/true", "-cf", conf, "-lf", leases,
		"-pf", filepath.Join(rel, "release.pid"), "cli0").CombinedOutput(); err != nil {
		t.Fatalf("dhclient -r: %v\n%s", err, out)
	}
	tA = b.waitDNS(t, "station-02.test.lan", "A", "", time.Second)
	tPTR = b.waitDNS(t, "102.1.168.192.in-addr.arpa", "PTR", "", time.Second)
	t.Logf("station-02 released: A gone after %s, PTR %s later", tA.Round(time.Millisecond), tPTR.Round(time.Millisecond))
	if got := b.dig(t, "station-02.test.lan", "ANY"); got != "" {
		t.Errorf("station-02.test.lan after release: %q", got)
	}

	// station-03's name is the operator's: left as it is, the conflict
	// logged and counted.
	if ip, _ := lease("00:18:e7:42:7a:3e"); ip != "192.168.1.103" {
		t.Fatalf("station-03 got %s, want 192.168.1.103", ip)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conflict := `pxed_dns_updates_total{result="conflict"}`
	if err := waitFor(ctx, 50*time.Millisecond, func() (bool, error) {
		return scrapeMetrics(t, server, token)[conflict] == 1, nil
	}); err != nil {
		t.Errorf("%s: %v, want 1", conflict, scrapeMetrics(t, server, token)[conflict])
	}
	if got := b.dig(t, "station-03.test.lan", "A"); got != "192.168.1.250" {
		t.Errorf("the operator's station-03.test.lan is now %q, want 192.168.1.250", got)
	}
	if got := b.dig(t, "103.1.168.192.in-addr.arpa", "PTR"); got != "" {
		t.Errorf("PTR of 192.168.1.103 for a name pxed does not hold: %q", got)
	}
	if log, _ := os.ReadFile(px.log); !strings.Contains(string(log), "dns name held by another client or the operator") ||
		!strings.Contains(string(log), "station-03.test.lan.") {
		t.Error("pxed's log does not name the conflict over station-03.test.lan")
	}

	// BIND stopped: the ACK takes no longer; the records come once it is back.
	b.stop(t)
	ip, ackDown := lease("00:18:e7:42:84:3a")
	if ip != "192.168.1.101" {
		t.Fatalf("station-01 got %s, want 192.168.1.101", ip)
	}
	t.Logf("DHCP exchange with BIND up %s, with BIND down %s; pxed's REQUEST→ACK %s and %s",
		ackUp.Round(time.Millisecond), ackDown.Round(time.Millisecond), ackDur(t, px, "00:18:e7:42:85:21"), ackDur(t, px, "00:18:e7:42:84:3a"))
	if d := ackDur(t, px, "00:18:e7:42:84:3a"); d > 100*time.Millisecond {
		t.Errorf("with BIND down pxed took %s to ACK station-01", d)
	}
	if ackDown > ackUp+500*time.Millisecond {
		t.Errorf("with BIND down the DHCP exchange took %s, %s with it up", ackDown, ackUp)
	}
	time.Sleep(3 * time.Second)
	b.start(t)
	back := b.waitDNS(t, "station-01.test.lan", "A", "192.168.1.101", 45*time.Second)
	b.waitDNS(t, "101.1.168.192.in-addr.arpa", "PTR", "station-01.test.lan.", 5*time.Second)
	m := scrapeMetrics(t, server, token)
	t.Logf("BIND back: station-01's records after %s; retries %v", back.Round(time.Millisecond), m["pxed_dns_updates_retries_total"])
	if m["pxed_dns_updates_retries_total"] < 1 {
		t.Error("no retry counted while BIND was down")
	}

	// pxed stops with an update pending (BIND down), starts again with
	// BIND up: the lease's names are put in from the recorded leases. The
	// name is the client's own (option 12).
	b.stop(t)
	guest, _ := lease(randomMAC(), "-x", "hostname:lab-guest")
	time.Sleep(500 * time.Millisecond)
	px.stop(t)
	b.start(t)
	if got := b.dig(t, "lab-guest.test.lan", "A"); got != "" {
		t.Fatalf("lab-guest.test.lan is %q before pxed started again", got)
	}
	restart := time.Now()
	px = startPxed(t, server, opts)
	b.waitDNS(t, "lab-guest.test.lan", "A", guest, 10*time.Second)
	t.Logf("pxed started again: lab-guest.test.lan → %s after %s", guest, time.Since(restart).Round(time.Millisecond))
}

// ackDur is how long pxed took over the first REQUEST of mac it ACKed, as
// its log says (dur=).
func ackDur(t *testing.T, px *Pxed, mac string) time.Duration {
	t.Helper()
	log, _ := os.ReadFile(px.log)
	m := regexp.MustCompile(`mac=` + regexp.QuoteMeta(mac) + ` .*msg=REQUEST .*reply=ACK .* dur=(\S+)`).FindSubmatch(log)
	if m == nil {
		t.Errorf("pxed's log has no ACK of %s", mac)
		return 0
	}
	d, err := time.ParseDuration(string(m[1]))
	if err != nil {
		t.Errorf("ACK of %s: dur=%s: %v", mac, m[1], err)
	}
	return d
}

// TestDNSUpdatesKeyRotation: the TSIG key is rotated while pxed serves.
// BIND gets a new key from tsig-keygen and forgets the old one (named
// restarted by its PID: this named has no rndc channel); pxed's key file
// gets the new key and pxed a SIGHUP; the next lease's records appear,
// signed with the new key, and the reload says the key changed.
func TestDNSUpdatesKeyRotation(t *testing.T) {
	requireTools(t, "busybox")
	server, client := newVethLab(t)
	b := newBind(t, server, "")
	keyFile := filepath.Join(t.TempDir(), "pxed-ddns.key")
	old, err := os.ReadFile(filepath.Join(b.dir, "ddns.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, old, 0o600); err != nil {
		t.Fatal(err)
	}
	ddnsConf := fmt.Sprintf(`
dns_updates:
  servers: [192.168.1.21:53]
  key_file: %s
  forward_zone: test.lan
  reverse_zones: [1.168.192.in-addr.arpa]
`, keyFile)
	opts := pxedOptions{Interface: "srv0", DataDir: filepath.Join(t.TempDir(), "data"), Edit: func(y string) string { return y + ddnsConf }}
	px := startPxed(t, server, opts)
	lease := func(mac, want string) {
		t.Helper()
		setMAC(t, client, "cli0", mac)
		l, err := udhcpcLease(t, client, "cli0")
		if err != nil {
			t.Fatal(err)
		}
		if l.IP.String() != want {
			t.Fatalf("%s got %s, want %s", mac, l.IP, want)
		}
	}
	lease("00:18:e7:42:85:21", "192.168.1.102")
	b.waitDNS(t, "station-02.test.lan", "A", "192.168.1.102", 2*time.Second)

	// BIND: the new key only.
	newKey, err := exec.Command("tsig-keygen", "-a", "hmac-sha256", "ddns-key-2").Output()
	if err != nil {
		t.Fatalf("tsig-keygen: %v", err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "ddns2.key"), newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	named, err := os.ReadFile(b.conf)
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(string(named), `/ddns.key";`, `/ddns2.key";`)
	conf = strings.ReplaceAll(conf, `key "ddns-key";`, `key "ddns-key-2";`)
	if err := os.WriteFile(b.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b.stop(t)
	b.start(t)

	// With the old key BIND refuses pxed's update: station-01 stays out.
	lease("00:18:e7:42:84:3a", "192.168.1.101")
	time.Sleep(time.Second)
	if got := b.dig(t, "station-01.test.lan", "A"); got != "" {
		t.Fatalf("station-01.test.lan is %q with a key BIND no longer has", got)
	}

	// pxed: the new key in the same file, then a reload.
	if err := os.WriteFile(keyFile, newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if err := px.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := waitLogged(t, px, `msg="config reloaded"`, 10*time.Second)
	t.Logf("reloaded %s after SIGHUP: %s", time.Since(sent).Round(time.Millisecond), line)
	if !strings.Contains(line, "dns_updates.key_file") {
		t.Errorf("the reload does not say the key changed: %s", line)
	}
	// station-01's update, retried since BIND refused it, goes through
	// with the new key; station-03's is signed with it from the start.
	tRetry := b.waitDNS(t, "station-01.test.lan", "A", "192.168.1.101", 35*time.Second)
	lease("00:18:e7:42:7a:3e", "192.168.1.103")
	tNew := b.waitDNS(t, "station-03.test.lan", "A", "192.168.1.103", 2*time.Second)
	b.waitDNS(t, "103.1.168.192.in-addr.arpa", "PTR", "station-03.test.lan.", 2*time.Second)
	t.Logf("after the rotation: station-01's retried update in DNS %s after the reload, station-03's A %s after its lease",
		tRetry.Round(time.Millisecond), tNew.Round(time.Millisecond))
}
