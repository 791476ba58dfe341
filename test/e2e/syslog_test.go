//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/web"
)

// syslogPort is where the test's pxed receives syslog (syslog.listen).
const syslogPort = "5514"

// TestSyslogInstallerLines: util-linux logger in the client namespace sends
// syslog lines to pxed, in RFC 3164 and in RFC 5424, from an address pxed
// leased and from a host's fixed address; each line is on the timeline of
// the machine holding the address, through the API, within a second of
// being sent. A line from an address no machine holds is on no timeline
// and counted as dropped.
func TestSyslogInstallerLines(t *testing.T) {
	requireTools(t, "logger", "curl", "busybox")
	server, client := newVethLab(t)
	px := startPxed(t, server, pxedOptions{
		Interface: "srv0",
		Edit:      func(y string) string { return y + "\nsyslog:\n  listen: \":" + syslogPort + "\"\n" },
		Ready:     []string{"67", "69", syslogPort},
	})
	token := waitWeb(t, server, px)
	lab := &dashLab{server: server, token: token}

	// A machine pxed leased its address to.
	mac := randomMAC()
	setMAC(t, client, "cli0", mac)
	ip, err := udhcpc(t, client, "cli0")
	if err != nil {
		t.Fatal(err)
	}
	client.ip(t, "addr", "add", ip.String()+"/24", "dev", "cli0")
	for _, format := range []string{"--rfc3164", "--rfc5424"} {
		line := "partitioning /dev/vda " + format + " " + randomHex(4)
		delay := sendAndWait(t, lab, client, mac, format, "installer", line, "installer: "+line)
		t.Logf("%s line from leased %s (%s) on its timeline after %v", format, ip, mac, delay.Round(time.Millisecond))
	}

	// station-01 of the reference network, at its fixed address, which it
	// never asked pxed for.
	const station = "00:18:e7:42:84:3a"
	setMAC(t, client, "cli0", station)
	client.ip(t, "addr", "add", "192.168.1.101/24", "dev", "cli0")
	line := "base system installed " + randomHex(4)
	delay := sendAndWait(t, lab, client, station, "--rfc3164", "base-installer", line, "base-installer: "+line)
	t.Logf("--rfc3164 line from station-01's fixed address on its timeline after %v", delay.Round(time.Millisecond))

	// An address nobody holds: dropped, and counted.
	client.ip(t, "addr", "flush", "dev", "cli0")
	client.ip(t, "addr", "add", "192.168.1.240/24", "dev", "cli0")
	before := lab.metrics(t)[`pxed_syslog_dropped_total{reason="unknown_sender"}`]
	logger(t, client, "--rfc3164", "stranger", "not ours")
	deadline := time.Now().Add(5 * time.Second)
	for lab.metrics(t)[`pxed_syslog_dropped_total{reason="unknown_sender"}`] <= before {
		if time.Now().After(deadline) {
			t.Fatal("a line from 192.168.1.240, which no machine holds, was not counted as dropped (unknown_sender)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	m := lab.metrics(t)
	if n := m[`pxed_syslog_lines_total{format="rfc3164"}`]; n != 2 {
		t.Errorf(`pxed_syslog_lines_total{format="rfc3164"} = %v, want 2`, n)
	}
	if n := m[`pxed_syslog_lines_total{format="rfc5424"}`]; n != 1 {
		t.Errorf(`pxed_syslog_lines_total{format="rfc5424"} = %v, want 1`, n)
	}
}

// logger sends one line over UDP to pxed's syslog port with util-linux
// logger from ns, in format (--rfc3164 or --rfc5424), tagged tag.
func logger(t *testing.T, ns *Namespace, format, tag, line string) {
	t.Helper()
	out, err := ns.command(t.Context(), "logger", format, "-d", "-n", "192.168.1.21", "-P", syslogPort, "-t", tag, line).CombinedOutput()
	if err != nil {
		t.Fatalf("logger %s: %v: %s", format, err, out)
	}
}

// sendAndWait sends line with logger and polls the API's timeline of mac
// until a step shows detail; it returns how long that took from the send.
func sendAndWait(t *testing.T, lab *dashLab, ns *Namespace, mac, format, tag, line, detail string) time.Duration {
	t.Helper()
	sent := time.Now()
	logger(t, ns, format, tag, line)
	for {
		if found, err := onTimeline(t, lab, mac, detail); err != nil {
			t.Fatal(err)
		} else if found {
			delay := time.Since(sent)
			if delay > time.Second {
				t.Errorf("%s line on %s's timeline after %v, want within 1s", format, mac, delay)
			}
			return delay
		}
		if time.Since(sent) > 10*time.Second {
			t.Fatalf("%s line %q not on %s's timeline after 10s", format, detail, mac)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onTimeline reports whether the API's timeline of mac has a log step
// whose detail is detail.
func onTimeline(t *testing.T, lab *dashLab, mac, detail string) (bool, error) {
	out, err := lab.server.command(t.Context(), "curl", "-sS", "-H", "Authorization: Bearer "+lab.token, dashboardURL+"api/v1/machines/"+mac).Output()
	if err != nil {
		return false, fmt.Errorf("reading %s's timeline: %w", mac, err)
	}
	var m web.MachineDetailJSON
	if err := json.Unmarshal(out, &m); err != nil {
		if strings.Contains(string(out), "no events recorded") {
			return false, nil
		}
		return false, fmt.Errorf("timeline of %s: %w: %s", mac, err, out)
	}
	for _, b := range m.Boots {
		for _, s := range b.Steps {
			if s.Kind == "log" && s.Proto == "syslog" && s.Detail == detail {
				return true, nil
			}
		}
	}
	return false, nil
}
