package metrics

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/syslogd"
)

// TestSyslogMetrics: lines a known machine sends over loopback are
// counted by format, a stranger's as dropped with its reason.
func TestSyslogMetrics(t *testing.T) {
	t.Parallel()
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	srv := &syslogd.Server{Machine: func(_ context.Context, ip netip.Addr) (net.HardwareAddr, bool) {
		return mac, ip == netip.MustParseAddr("127.0.0.1")
	}}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go srv.Serve(ctx, conn)
	m := New()
	m.WatchSyslog(srv.Stats())

	send := func(from, line string) {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, conn.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(line))
	}
	send("127.0.0.1", "<13>Dec  6 14:05:05 anna[1]: one\n")
	send("127.0.0.1", "<13>1 2026-12-06T14:05:05Z h app - - - two")
	send("127.0.0.1", "three")
	send("127.0.0.2", "<13>Dec  6 14:05:05 x: from a stranger")
	want := []string{
		"pxed_syslog_received_total 4",
		`pxed_syslog_lines_total{format="rfc3164"} 1`,
		`pxed_syslog_lines_total{format="rfc5424"} 1`,
		`pxed_syslog_lines_total{format="raw"} 1`,
		`pxed_syslog_dropped_total{reason="unknown_sender"} 1`,
		`pxed_syslog_dropped_total{reason="rate_machine"} 0`,
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := scrape(t, m)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scrape lacks %q:\n%s", missing, grep(body, "pxed_syslog_"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
