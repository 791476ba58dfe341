package main

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/web"
)

func machinesAPI(t *testing.T) (*httptest.Server, *events.Log) {
	g := events.NewLog(events.DefaultLimits)
	s := &web.Server{PublicRead: true}
	(&web.Machines{Log: g}).Register(s)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, g
}

var (
	mac1 = net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	ip1  = netip.MustParseAddr("192.168.1.101")
)

func failingBoot(g *events.Log) {
	for _, e := range []events.Event{
		// A host name with a terminal escape (clear screen) in it.
		{MAC: mac1, Kind: events.DHCPDiscover, Proto: "dhcp", ClientName: "evil\x1b[2J"},
		{MAC: mac1, Kind: events.DHCPAck, Proto: "dhcp", IP: ip1},
		{IP: ip1, Kind: events.FileServed, Proto: "tftp", File: "pxelinux.0", Bytes: 42430},
		{IP: ip1, Kind: events.FileFailed, Proto: "tftp", File: "pxelinux.cfg/default", Outcome: events.OutcomeNotFound, Detail: "not found"},
	} {
		g.Record(e)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	ts, g := machinesAPI(t)
	failingBoot(g)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"status", "--api", ts.URL}, &out, &errOut); code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "MAC") {
		t.Fatalf("table:\n%s", out.String())
	}
	for _, want := range []string{"00:18:e7:42:84:3a", `evil\x1b[2J (discovered)`, "192.168.1.101", "failed: pxelinux.cfg/default not found"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row lacks %q:\n%s", want, lines[1])
		}
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Error("an escape sequence from the network reached the terminal")
	}

	out.Reset()
	if code := run(context.Background(), []string{"status", "--api", ts.URL, "00-18-E7-42-84-3A"}, &out, &errOut); code != 0 {
		t.Fatalf("status MAC: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"FAILED: pxelinux.cfg/default not found", "TFTP pxelinux.0", "41.4 KiB", "FAIL pxelinux.cfg/default not found"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("timeline lacks %q:\n%s", want, out.String())
		}
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"status", "--api", ts.URL, "02:00:00:00:00:99"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "no events recorded") {
		t.Errorf("unknown MAC: exit %d: %s", code, errOut.String())
	}
}

// TestStatusDualStack: a machine leased an address over each family shows
// both in its row and atop its timeline, whose DHCPv6 step is named by its
// message.
func TestStatusDualStack(t *testing.T) {
	t.Parallel()
	ts, g := machinesAPI(t)
	failingBoot(g)
	g.Record(events.Event{MAC: mac1, Kind: events.DHCPAck, Proto: "dhcp6", IP: netip.MustParseAddr("2001:db8:1::101")})
	for _, args := range [][]string{{"status", "--api", ts.URL}, {"status", "--api", ts.URL, mac1.String()}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		if !strings.Contains(out.String(), "192.168.1.101,2001:db8:1::101") {
			t.Errorf("%v shows not both addresses:\n%s", args, out.String())
		}
		if len(args) == 4 && !strings.Contains(out.String(), "DHCPv6 Reply 2001:db8:1::101") {
			t.Errorf("timeline names not the DHCPv6 Reply:\n%s", out.String())
		}
	}
}

// syncBuffer is written by watch while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestWatch(t *testing.T) {
	t.Parallel()
	ts, g := machinesAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"watch", "--api", ts.URL}, &out, &errOut) }()
	// Record until watch has seen something: it may not be subscribed yet.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "pxelinux.cfg/default") && time.Now().Before(deadline) {
		failingBoot(g)
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("watch: exit %d: %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{"00:18:e7:42:84:3a", "DHCP ACK 192.168.1.101", "TFTP pxelinux.cfg/default  FAIL pxelinux.cfg/default not found"} {
		if !strings.Contains(got, want) {
			t.Errorf("watch output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") {
		t.Error("an escape sequence from the network reached the terminal")
	}
}

// TestStatusScope: a pxed that serves one half of the boot says, above its
// machine table, what its timelines hold.
func TestStatusScope(t *testing.T) {
	t.Parallel()
	g := events.NewLog(events.DefaultLimits)
	s := &web.Server{PublicRead: true}
	(&web.Machines{Log: g}).Register(s)
	web.RegisterScope(s, web.ScopeOf(true, false, false, false))
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	failingBoot(g)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"status", "--api", ts.URL}, &out, &errOut); code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "This pxed serves the DHCP exchanges only") || !strings.HasPrefix(lines[1], "MAC") {
		t.Errorf("status of a DHCP-only pxed:\n%s", out.String())
	}
}
