//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
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

// TestDHCPv6Flood: perfdhcp -6 floods pxed with Solicit-Advertise-
// Request-Reply exchanges at 1,000/s for 10 s, each from a DUID never seen
// before (50,000 distinct clients), with dhcp6.rate_global at 100 requests/s
// for unknown clients. The DUIDs pass the per-client limit, and the
// global limit bounds what they cost: pxed's resident set stays under
// 64 MiB at its peak, the leases they get stay within what the limit lets
// through (rate × period + burst, far from the 4,096 addresses of the
// pool), and during the flood station-02 (a known host, on a macvlan of
// the same link) gets its reservation without waiting; after it, a
// stranger still gets a pool address.
func TestDHCPv6Flood(t *testing.T) {
	requireTools(t, "perfdhcp", "dhclient", "sysctl", "ss")
	const (
		clients = 50000
		rate    = 1000 // exchanges per second
		period  = 10   // seconds
		global  = 100  // dhcp6.rate_global
		rssMax  = 64 << 20
	)
	_, client, px := dhcp6Lab(t, func(y string) string {
		return replaceOnce(y, "dhcp6:\n  preference: 255\n", fmt.Sprintf("dhcp6:\n  preference: 255\n  rate_global: %d\n", global))
	})
	// The stations share the flooded link through a macvlan device in a
	// namespace of their own: dhclient and perfdhcp both use port 546.
	st := newNamespace(t, "st6")
	client.ip(t, "link", "add", "st0", "link", "cli0", "type", "macvlan", "mode", "bridge")
	client.ip(t, "link", "set", "st0", "netns", st.Name)
	if out, err := st.command(t.Context(), "sysctl", "-qw", "net.ipv6.conf.st0.accept_dad=0").CombinedOutput(); err != nil {
		t.Fatalf("sysctl: %v: %s", err, out)
	}
	setMAC(t, st, "st0", station02.MAC)
	st.ip(t, "link", "set", "st0", "up")
	waitLinkLocal(t, client, "cli0")
	waitLinkLocal(t, st, "st0")
	pid := px.p.cmd.Process.Pid
	before := procStatus(t, pid, "VmRSS")

	wait := runPerfdhcp6(t, client, clients, rate, period)
	time.Sleep(3 * time.Second)
	start := time.Now()
	got, _ := dhclient6(t, st, "st0", 1, "-D", "LL")
	took := time.Since(start)
	if want := netip.MustParseAddr("2001:db8:1::102"); got != want {
		t.Errorf("station-02 during the flood got %s, want %s", got, want)
	}
	// dhclient -6 sends its Solicit again after about 1 s (RFC 8415 §18.2.1
	// SOL_TIMEOUT) and its Request after about 1 s: under 2 s means neither
	// was dropped.
	t.Logf("station-02 got %s during the flood in %s", got, took.Round(time.Millisecond))
	if took >= 2*time.Second {
		t.Errorf("station-02 waited %s for its lease during the flood: its requests were dropped", took)
	}
	run := wait()
	peak := procStatus(t, pid, "VmHWM")
	t.Logf("perfdhcp -6: %d SOLICIT, %d ADVERTISE, %d REQUEST, %d REPLY", run.Solicits, run.Advertises, run.Requests, run.Replies)
	t.Logf("pxed resident set: %d KiB before the flood, %d KiB at its peak", before>>10, peak>>10)
	if run.Solicits < rate*period/2 {
		t.Errorf("perfdhcp sent %d Solicits, want about %d: the flood did not happen", run.Solicits, rate*period)
	}
	if peak > rssMax {
		t.Errorf("pxed's resident set peaked at %d KiB under the flood, want under %d KiB", peak>>10, rssMax>>10)
	}
	// What the global limit lets through: a burst of one second's worth,
	// then rate_global per second, over the flood and perfdhcp's last
	// exchanges (a few seconds more).
	allowed := global * (period + 5 + 1)
	if got := run.Advertises + run.Replies; got > allowed {
		t.Errorf("the flood got %d answers, more than the %d rate_global %d/s allows", got, allowed, global)
	}
	leases := px.leases(t)
	pool := 0
	for _, l := range leases {
		if l.IP.Is6() && inPool6(l.IP) {
			pool++
		}
	}
	t.Logf("after the flood: %d pool addresses leased of 4096", pool)
	if pool > allowed {
		t.Errorf("%d pool addresses leased, more than the %d rate_global %d/s allows", pool, allowed, global)
	}
	// The pool is not exhausted: a stranger is served.
	stranger := randomMAC()
	setMAC(t, st, "st0", stranger)
	waitLinkLocal(t, st, "st0")
	if ip, _ := dhclient6(t, st, "st0", 1); !inPool6(ip) {
		t.Errorf("a stranger after the flood got %s, want a pool address", ip)
	}
}

// inPool6 reports whether ip is in the pool of dhcp6Section.
func inPool6(ip netip.Addr) bool {
	return ip.Compare(netip.MustParseAddr("2001:db8:1::1000")) >= 0 && ip.Compare(netip.MustParseAddr("2001:db8:1::1fff")) <= 0
}

// procStatus reads a size field (VmRSS, VmHWM) of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", field, v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// perfdhcp6Run is perfdhcp -6's own account of a run.
type perfdhcp6Run struct {
	Solicits, Advertises, Requests, Replies int
	Output                                  string
}

var perf6Section = regexp.MustCompile(`Statistics for: (SOLICIT-ADVERTISE|REQUEST-REPLY)`)

// runPerfdhcp6 starts perfdhcp -6 on cli0 with clients distinct DUIDs at
// rate exchanges per second for period seconds, sending to ff02::1:2; wait
// waits for it to end and reads its statistics.
func runPerfdhcp6(t *testing.T, ns *Namespace, clients, rate, period int) (wait func() perfdhcp6Run) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "perfdhcp6.txt")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.command(context.Background(), "perfdhcp", "-6", "-l", "cli0", "-R", strconv.Itoa(clients),
		"-r", strconv.Itoa(rate), "-p", strconv.Itoa(period))
	cmd.Stdout, cmd.Stderr = f, f
	p, err := start("perfdhcp", cmd)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGKILL, time.Second) })
	return func() perfdhcp6Run {
		select {
		case <-p.done:
		case <-time.After(time.Duration(period)*time.Second + 30*time.Second):
			p.stop(syscall.SIGINT, 5*time.Second)
		}
		data, _ := os.ReadFile(out)
		r := perfdhcp6Run{Output: string(data)}
		secs := perf6Section.FindAllStringSubmatchIndex(r.Output, -1)
		for i, s := range secs {
			end := len(r.Output)
			if i+1 < len(secs) {
				end = secs[i+1][0]
			}
			name := r.Output[s[2]:s[3]]
			for _, m := range perfCount.FindAllStringSubmatch(r.Output[s[1]:end], -1) {
				n, _ := strconv.Atoi(m[2])
				switch name + " " + m[1] {
				case "SOLICIT-ADVERTISE sent":
					r.Solicits = n
				case "SOLICIT-ADVERTISE received":
					r.Advertises = n
				case "REQUEST-REPLY sent":
					r.Requests = n
				case "REQUEST-REPLY received":
					r.Replies = n
				}
			}
		}
		if len(secs) == 0 {
			t.Errorf("perfdhcp -6 printed no statistics:\n%s", r.Output)
		}
		return r
	}
}
