package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/web"
)

// TestStatusInstallerLog: a machine's timeline shows the lines its
// installer logged, as sent, with the terminal escapes in them made
// harmless.
func TestStatusInstallerLog(t *testing.T) {
	t.Parallel()
	ts, g := machinesAPI(t)
	failingBoot(g)
	g.Record(events.Event{MAC: mac1, IP: ip1, Kind: events.InstallerLog, Proto: "syslog", Detail: "anna[1234]: INFO: Retrieving udeb"})
	g.Record(events.Event{MAC: mac1, IP: ip1, Kind: events.InstallerLog, Proto: "syslog", Detail: "err partman: \x1b[2Jfailed"})
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"status", "--api", ts.URL, mac1.String()}, &out, &errOut); code != 0 {
		t.Fatalf("status MAC: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"log anna[1234]: INFO: Retrieving udeb\n", `log err partman: \x1b[2Jfailed` + "\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("timeline lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Error("an escape sequence from the network reached the terminal")
	}
}

// TestWatchLineInstallerLog: pxed watch shows a log line as the machine
// sent it, and no verdict after it.
func TestWatchLineInstallerLog(t *testing.T) {
	t.Parallel()
	msg := web.StreamJSON{
		Machine: web.MachineJSON{MAC: "00:18:e7:42:84:3a", Host: "station-01"},
		Step:    web.StepJSON{Time: time.Date(2026, 12, 6, 14, 5, 5, 0, time.Local), Kind: "log", Proto: "syslog", Status: "ok", Detail: "anna[1234]: INFO: Retrieving udeb"},
	}
	want := "14:05:05.000  00:18:e7:42:84:3a station-01  log anna[1234]: INFO: Retrieving udeb"
	if got := watchLine(msg); got != want {
		t.Errorf("watchLine = %q, want %q", got, want)
	}
}
