//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProbeConflicts: machines configured by hand with addresses pxed
// hands out, pxed serving as nobody once its sockets are open. On the lab bridge, one squats the pool's first address
// (192.168.1.150) and one station-02's reserved address (192.168.1.102)
// under another MAC; behind a relay (ISC dhcrelay), one squats the relayed
// pool's first address (192.168.2.150).
//
//   - pxed finds each by probing ahead of the clients (ARP on br0, ICMP
//     through the relay): log lines with the squatter's MAC (none over
//     ICMP), kind and method; /metrics; /api/v1/pools;
//   - no client is offered a squatted pool address, on the bridge or
//     through the relay; station-02 still gets its reservation;
//   - a new client's DISCOVER→OFFER, taken from a capture in its
//     namespace, stays under 50 ms: no probe is waited for. dnsmasq, with
//     its default ping check, serves the same bridge afterwards and its
//     figure is measured the same way, for comparison.
func TestProbeConflicts(t *testing.T) {
	requireTools(t, "busybox", "tcpdump", "dnsmasq", "dhcrelay", "curl")
	lab := newNamespace(t, "lab")
	lab.ip(t, "link", "add", "br0", "type", "bridge")
	lab.ip(t, "addr", "add", serverAddr, "dev", "br0")
	lab.ip(t, "link", "set", "br0", "up")

	const (
		poolSquatter = "02:5a:00:00:01:50"
		resSquatter  = "02:5a:00:00:01:02"
		station02    = "00:18:e7:42:85:21"
	)
	attachHost(t, lab, "br0", "sq1", poolSquatter, "192.168.1.150/24")
	attachHost(t, lab, "br0", "sq2", resSquatter, "192.168.1.102/24")
	cli := attachHost(t, lab, "br0", "cli", randomMAC(), "")

	// The relayed side: a router namespace between br0 (192.168.1.1) and
	// br2 (192.168.2.1), with the relay; a squatter and a client on br2.
	relay := attachHost(t, lab, "br0", "rly", "02:5a:00:00:00:01", "192.168.1.1/24")
	relay.ip(t, "link", "add", "br2", "type", "bridge")
	relay.ip(t, "addr", "add", "192.168.2.1/24", "dev", "br2")
	relay.ip(t, "link", "set", "br2", "up")
	run(t, "ip", "netns", "exec", relay.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	farSquatter := attachHost(t, relay, "br2", "sq3", "02:5a:00:00:02:50", "192.168.2.150/24")
	farSquatter.ip(t, "route", "add", "default", "via", "192.168.2.1")
	farCli := attachHost(t, relay, "br2", "fcli", randomMAC(), "")
	lab.ip(t, "route", "add", "192.168.2.0/24", "via", "192.168.1.1")

	// pxed drops root (--user nobody) once its sockets are open: the ARP
	// and ICMP sockets are among them and keep working. The test's
	// temporary directories live under one made 0700 for root: open it so
	// that nobody reaches the data directory and the file.
	if err := os.Chmod(filepath.Dir(t.TempDir()), 0o755); err != nil {
		t.Fatal(err)
	}
	px := startPxed(t, lab, pxedOptions{Interface: "br0", Args: []string{"--user", "nobody"}, Edit: func(y string) string {
		return replaceOnce(y, "\n# What PXE clients boot",
			"    - network: 192.168.2.0/24\n      pools: [192.168.2.150-192.168.2.199]\n\n# What PXE clients boot")
	}})
	startDhcrelay(t, relay, "-4", "-id", "br2", "-iu", "eth0", "192.168.1.21")
	waitUDP(t, relay, "67")

	if !loggedMatch(t, px, regexp.MustCompile(`msg="privileges dropped" user=nobody`), 5*time.Second) {
		t.Fatal("pxed did not drop root for nobody")
	}
	// pxed probes its windows at start, in the background.
	found := map[string]*regexp.Regexp{
		"pool squatter (ARP)": regexp.MustCompile(`msg="pool address in use: held back" ip=192\.168\.1\.150 mac=` + poolSquatter +
			` subnet=192\.168\.1\.0/24 kind=pool method=arp`),
		"reservation squatter (ARP)": regexp.MustCompile(`msg="reserved address answered by another machine; the reservation is still given" ip=192\.168\.1\.102 mac=` +
			resSquatter + ` subnet=192\.168\.1\.0/24 kind=reservation method=arp host=station-02 reserved_mac=` + station02),
		"relayed squatter (ICMP)": regexp.MustCompile(`msg="pool address in use: held back" ip=192\.168\.2\.150 mac="" subnet=192\.168\.2\.0/24 kind=pool method=icmp`),
	}
	for what, re := range found {
		if !loggedMatch(t, px, re, 10*time.Second) {
			t.Errorf("pxed's log does not report the %s (want a line matching %s)", what, re)
		}
	}

	// The probes of the windows wait 500 ms for an answer; from then on,
	// with fewer new clients than the window holds (64), every offer's
	// address is known free when offered.
	time.Sleep(time.Second)

	// Several new clients on the bridge: none is offered 192.168.1.150, and
	// each one's DISCOVER→OFFER is measured from a capture.
	var pxedTimes []time.Duration
	for i := range 6 {
		setMAC(t, cli, "eth0", randomMAC())
		d, ip := timedLease(t, cli, "eth0")
		if ip == "192.168.1.150" {
			t.Fatalf("client %d was offered the squatted 192.168.1.150", i)
		}
		if !strings.HasPrefix(ip, "192.168.1.") {
			t.Fatalf("client %d got %q", i, ip)
		}
		pxedTimes = append(pxedTimes, d)
	}
	// Through the relay: not 192.168.2.150 either.
	for i := range 2 {
		setMAC(t, farCli, "eth0", randomMAC())
		res, err := udhcpcLease(t, farCli, "eth0")
		if err != nil {
			t.Fatalf("relayed client %d: %v", i, err)
		}
		if ip := res.IP.String(); ip == "192.168.2.150" || !strings.HasPrefix(ip, "192.168.2.") {
			t.Fatalf("relayed client %d got %s", i, ip)
		}
	}
	// station-02 gets its reservation, squatter or not.
	setMAC(t, cli, "eth0", station02)
	if res, err := udhcpcLease(t, cli, "eth0"); err != nil || res.IP.String() != "192.168.1.102" {
		t.Errorf("station-02 got %v (%v), want its reservation 192.168.1.102", res.IP, err)
	}

	tok, err := os.ReadFile(filepath.Join(px.dataDir, "api-token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))
	m := scrapeMetrics(t, lab, token)
	for series, least := range map[string]float64{
		`pxed_probe_conflicts_total{kind="pool"}`:        2,
		`pxed_probe_conflicts_total{kind="reservation"}`: 1,
		`pxed_probe_sent_total{method="arp"}`:            1,
		`pxed_probe_sent_total{method="icmp"}`:           1,
		`pxed_probe_offers_total{probed="yes"}`:          8,
	} {
		if m[series] < least {
			t.Errorf("/metrics: %s = %v, want at least %v", series, m[series], least)
		}
	}
	if n := m[`pxed_probe_offers_total{probed="no"}`]; n != 0 {
		t.Errorf("/metrics: %v offers went out unprobed, want none (8 new clients, a window of 64)", n)
	}
	t.Logf("/metrics: conflicts pool %v reservation %v; probes arp %v icmp %v; offers probed %v unprobed %v",
		m[`pxed_probe_conflicts_total{kind="pool"}`], m[`pxed_probe_conflicts_total{kind="reservation"}`],
		m[`pxed_probe_sent_total{method="arp"}`], m[`pxed_probe_sent_total{method="icmp"}`],
		m[`pxed_probe_offers_total{probed="yes"}`], m[`pxed_probe_offers_total{probed="no"}`])

	if b, err := os.ReadFile(px.log); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "offered unprobed") {
				t.Logf("pxed: %s", line)
			}
		}
	}
	var pools struct {
		Pools []struct {
			Squatters []struct {
				IP      string `json:"ip"`
				MAC     string `json:"mac"`
				FoundBy string `json:"found_by"`
			} `json:"squatters"`
		} `json:"pools"`
		Reservations []reservationSquatter `json:"reservation_squatters"`
	}
	apiGet(t, lab, token, "/api/v1/pools", &pools)
	squatters := map[string]string{}
	for _, p := range pools.Pools {
		for _, s := range p.Squatters {
			squatters[s.IP] = s.MAC + " " + s.FoundBy
		}
	}
	if got, want := squatters["192.168.1.150"], poolSquatter+" arp"; got != want {
		t.Errorf("/api/v1/pools: squatter 192.168.1.150 is %q, want %q", got, want)
	}
	if got, want := squatters["192.168.2.150"], " icmp"; got != want {
		t.Errorf("/api/v1/pools: squatter 192.168.2.150 is %q, want %q", got, want)
	}
	if i := slices.IndexFunc(pools.Reservations, func(r reservationSquatter) bool {
		return r.IP == "192.168.1.102"
	}); i < 0 || pools.Reservations[i].MAC != resSquatter || pools.Reservations[i].Host != "station-02" ||
		pools.Reservations[i].ReservedMAC != station02 || pools.Reservations[i].FoundBy != "arp" {
		t.Errorf("/api/v1/pools: reservation squatters %+v, want 192.168.1.102 (station-02) answered by %s", pools.Reservations, resSquatter)
	}

	// A reload that turns probing off on the bridge's subnet reaches the
	// prober: the next offer there is not counted among probed subnets'.
	orig, err := os.ReadFile(px.config)
	if err != nil {
		t.Fatal(err)
	}
	writeConfig(t, px.config, replaceOnce(string(orig), "    - network: 192.168.1.0/24\n", "    - network: 192.168.1.0/24\n      probe: false\n"))
	if err := px.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if line := waitLogged(t, px, `msg="config reloaded"`, 10*time.Second); !strings.Contains(line, "dhcp.subnets") {
		t.Errorf("the reload does not name dhcp.subnets: %s", line)
	}
	offers := func(m map[string]float64) float64 {
		return m[`pxed_probe_offers_total{probed="yes"}`] + m[`pxed_probe_offers_total{probed="no"}`]
	}
	before := offers(scrapeMetrics(t, lab, token))
	setMAC(t, cli, "eth0", randomMAC())
	if _, err := udhcpcLease(t, cli, "eth0"); err != nil {
		t.Fatal(err)
	}
	if after := offers(scrapeMetrics(t, lab, token)); after != before {
		t.Errorf("after the reload with probe: false, a new client's offer was counted as probed or unprobed (%v, then %v)", before, after)
	}
	px.stop(t)

	// dnsmasq on the same bridge, same pool, its ping check on (the
	// default), the same squatter on 192.168.1.150.
	dir := t.TempDir()
	cmd := lab.command(context.Background(), "dnsmasq", "--no-daemon", "--port=0", "--interface=br0", "--bind-interfaces",
		"--dhcp-range=192.168.1.150,192.168.1.199,1h", "--dhcp-leasefile="+filepath.Join(dir, "dnsmasq.leases"), "--user=root",
		"--log-dhcp", "--log-facility="+filepath.Join(dir, "dnsmasq.log"))
	dm, err := start("dnsmasq", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dm.stop(syscall.SIGTERM, 5*time.Second) })
	waitUDP(t, lab, "67")
	var dnsmasqTimes []time.Duration
	var dnsmasqIPs []string
	for range 3 {
		setMAC(t, cli, "eth0", randomMAC())
		d, ip := timedLease(t, cli, "eth0")
		dnsmasqTimes = append(dnsmasqTimes, d)
		dnsmasqIPs = append(dnsmasqIPs, ip)
	}

	t.Logf("DISCOVER→OFFER, new clients, from captures: pxed %v (max %v); dnsmasq (ping check) %v (max %v), leased %v",
		pxedTimes, slices.Max(pxedTimes), dnsmasqTimes, slices.Max(dnsmasqTimes), dnsmasqIPs)
	if mx := slices.Max(pxedTimes); mx >= 50*time.Millisecond {
		t.Errorf("pxed's slowest DISCOVER→OFFER was %v, want under 50 ms", mx)
	}
}

type reservationSquatter struct {
	IP          string `json:"ip"`
	Host        string `json:"host"`
	MAC         string `json:"mac"`
	ReservedMAC string `json:"reserved_mac"`
	FoundBy     string `json:"found_by"`
}

// attachHost adds a namespace with an interface eth0 (MAC mac) on bridge
// br of ns, through a veth pair (veth-ROLE on the bridge's side), with
// addr configured by hand when not "".
func attachHost(t *testing.T, ns *Namespace, br, role, mac, addr string) *Namespace {
	t.Helper()
	h := newNamespace(t, role)
	side := "veth-" + role
	ns.ip(t, "link", "add", side, "type", "veth", "peer", "name", "eth0", "netns", h.Name)
	ns.ip(t, "link", "set", side, "master", br)
	ns.ip(t, "link", "set", side, "up")
	h.ip(t, "link", "set", "eth0", "address", mac)
	if addr != "" {
		h.ip(t, "addr", "add", addr, "dev", "eth0")
	}
	h.ip(t, "link", "set", "eth0", "up")
	return h
}

// timedLease runs udhcpc once on ifname under a capture of DHCP on it,
// and returns the time from the client's first DISCOVER to the first
// OFFER as the capture saw them, and the address leased.
func timedLease(t *testing.T, ns *Namespace, ifname string) (time.Duration, string) {
	t.Helper()
	pcap := filepath.Join(t.TempDir(), "dhcp.pcap")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// -Z root: tcpdump would open the file as user tcpdump, who cannot
	// write in the test's directory.
	capture := ns.command(ctx, "tcpdump", "-Z", "root", "--immediate-mode", "-i", ifname, "-n", "-U", "-w", pcap, "udp port 67 or udp port 68")
	stderr, err := capture.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	// tcpdump says "listening on" once it captures.
	ready := make(chan struct{})
	var said strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			said.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "listening on") {
				once = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("tcpdump did not start capturing")
	}
	res, err := udhcpcLease(t, ns, ifname)
	time.Sleep(200 * time.Millisecond) // the last packets reach the file
	capture.Process.Signal(syscall.SIGINT)
	capture.Wait()
	if err != nil {
		t.Fatalf("udhcpc: %v", err)
	}
	b, err := exec.Command("tcpdump", "-r", pcap, "-n", "-tt", "-v").Output()
	out := string(b)
	if err != nil {
		t.Fatalf("reading the capture: %v", err)
	}
	d, err := discoverToOffer(out)
	if err != nil {
		t.Fatalf("%v in capture:\n%s\ntcpdump said:\n%s", err, out, said.String())
	}
	return d, res.IP.String()
}

// discoverToOffer finds, in tcpdump -tt -v output, the time from the
// first DISCOVER to the first OFFER after it.
func discoverToOffer(out string) (time.Duration, error) {
	stamp := regexp.MustCompile(`^(\d+\.\d+) IP`)
	kind := regexp.MustCompile(`DHCP-Message \(53\), length 1: (\w+)`)
	var at, discover float64
	seen := false
	for _, line := range strings.Split(out, "\n") {
		if m := stamp.FindStringSubmatch(line); m != nil {
			at, _ = strconv.ParseFloat(m[1], 64)
			continue
		}
		m := kind.FindStringSubmatch(line)
		switch {
		case m == nil:
		case m[1] == "Discover" && !seen:
			discover, seen = at, true
		case m[1] == "Offer" && seen:
			return time.Duration((at - discover) * float64(time.Second)), nil
		}
	}
	return 0, fmt.Errorf("no DISCOVER followed by an OFFER")
}
