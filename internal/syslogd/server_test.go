package syslogd

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/events"
)

type recorderFunc func(events.Event)

func (f recorderFunc) Record(e events.Event) { f(e) }

// TestServeLoopback: lines sent over UDP on loopback, in both formats and
// in neither, land on the sender's machine as InstallerLog events; a line
// from an address no machine holds does not.
func TestServeLoopback(t *testing.T) {
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	known := netip.MustParseAddr("127.0.0.1")
	got := make(chan events.Event, 16)
	srv := &Server{
		Machine: func(_ context.Context, ip netip.Addr) (net.HardwareAddr, bool) {
			return mac, ip == known
		},
		Events: recorderFunc(func(e events.Event) { got <- e }),
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()

	send := func(from, line string) {
		t.Helper()
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, conn.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	send("127.0.0.2", "<13>Dec  6 14:05:05 stranger: not ours\n") // dropped: unknown sender
	send("127.0.0.1", "<13>Dec  6 14:05:05 anna[1234]: INFO: Retrieving udeb\n")
	send("127.0.0.1", `<11>1 2026-12-06T14:05:05.1Z station-01 installer - - - partitioning failed`)
	send("127.0.0.1", "just text\n")

	var details []string
	for range 3 {
		select {
		case e := <-got:
			if e.Kind != events.InstallerLog || e.MAC.String() != mac.String() || e.IP != known || e.Proto != "syslog" {
				t.Errorf("event %+v: want an InstallerLog of %s from %s", e, mac, known)
			}
			details = append(details, e.Detail)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d lines, want 3: %q", len(details), details)
		}
	}
	want := []string{"anna[1234]: INFO: Retrieving udeb", "err installer: partitioning failed", "just text"}
	if diff := cmp.Diff(want, details); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v after its context ended, want nil", err)
	}
	st := srv.Stats()
	if st.Received() != 4 || st.Dropped(DropUnknownSender) != 1 || st.Recorded(FormatRFC3164) != 1 ||
		st.Recorded(FormatRFC5424) != 1 || st.Recorded(FormatRaw) != 1 {
		t.Errorf("stats: received %d, unknown sender %d, rfc3164 %d, rfc5424 %d, raw %d; want 4, 1, 1, 1, 1",
			st.Received(), st.Dropped(DropUnknownSender), st.Recorded(FormatRFC3164), st.Recorded(FormatRFC5424), st.Recorded(FormatRaw))
	}
}

// TestHandleRates: a machine flooding gets its second's burst, then its
// rate; another machine is still heard; past the global bound nobody is.
func TestHandleRates(t *testing.T) {
	macA, _ := net.ParseMAC("52:54:00:00:00:0a")
	macB, _ := net.ParseMAC("52:54:00:00:00:0b")
	a, b := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.11")
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	srv := &Server{
		Machine: func(_ context.Context, ip netip.Addr) (net.HardwareAddr, bool) {
			switch ip {
			case a:
				return macA, true
			case b:
				return macB, true
			}
			return nil, false
		},
		PerMachine: 20,
		Global:     25,
		Now:        func() time.Time { return now },
	}
	l := newLimits(srv.PerMachine, srv.Global)
	var p Parser
	count := func(ip netip.Addr, n int) map[string]int {
		out := map[string]int{}
		for range n {
			_, drop, ok := srv.handle(t.Context(), &p, l, ip, []byte("<13>Dec  6 14:00:00 app: line"))
			if ok {
				out["recorded"]++
			} else {
				out[drop.String()]++
			}
		}
		return out
	}
	if diff := cmp.Diff(map[string]int{"recorded": 20, "rate_machine": 80}, count(a, 100)); diff != "" {
		t.Errorf("flooding machine (-want +got):\n%s", diff)
	}
	// The other machine has a bucket of its own, but 20 of the 25 lines a
	// second all may send are taken.
	if diff := cmp.Diff(map[string]int{"recorded": 5, "rate_global": 5}, count(b, 10)); diff != "" {
		t.Errorf("second machine during the flood (-want +got):\n%s", diff)
	}
	now = now.Add(time.Second) // both buckets refill
	if diff := cmp.Diff(map[string]int{"recorded": 5}, count(b, 5)); diff != "" {
		t.Errorf("second machine a second later (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"unknown_sender": 1}, count(netip.MustParseAddr("192.0.2.99"), 1)); diff != "" {
		t.Errorf("unknown sender (-want +got):\n%s", diff)
	}
}
