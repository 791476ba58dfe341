package metrics

import (
	"fmt"
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pxed/pxed/internal/dhcp"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/lease"
)

func TestFileMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	ip := netip.MustParseAddr("10.0.0.5")
	for _, e := range []events.Event{
		{Kind: events.FileServed, Proto: "tftp", IP: ip, File: "pxelinux.0", Bytes: 42430, Dur: 30 * time.Millisecond},
		{Kind: events.FileServed, Proto: "tftp", IP: ip, File: "linux", Bytes: 8 << 20, Dur: 2 * time.Second, Retransmits: 3},
		{Kind: events.FileFailed, Proto: "tftp", IP: ip, File: "pxelinux.cfg/default", Outcome: events.OutcomeNotFound, Detail: "not found"},
		{Kind: events.FileFailed, Proto: "tftp", IP: ip, File: "initrd.gz", Outcome: events.OutcomeTimeout, Detail: "TFTP timeout after block 812", Bytes: 812 * 512, Retransmits: 5},
		{Kind: events.FileServed, Proto: "http", IP: ip, File: "initrd.gz", Bytes: 40 << 20, Dur: time.Second},
		{Kind: events.FileFailed, Proto: "http", IP: ip, File: "x", Outcome: events.OutcomeDenied, Detail: "access denied"},
		{Kind: events.DHCPDiscover, Proto: "dhcp"}, // counted from dhcp.Stats, not here
	} {
		m.Record(e)
	}
	for labels, want := range map[[2]string]float64{
		{"tftp", "ok"}: 2, {"tftp", "not_found"}: 1, {"tftp", "timeout"}: 1, {"http", "ok"}: 1, {"http", "denied"}: 1,
	} {
		if got := testutil.ToFloat64(m.files.WithLabelValues(labels[0], labels[1])); got != want {
			t.Errorf("transfers %v: %v, want %v", labels, got, want)
		}
	}
	if got := testutil.ToFloat64(m.bytes.WithLabelValues("tftp")); got != 42430+8<<20+812*512 {
		t.Errorf("tftp bytes %v", got)
	}
	if got := testutil.ToFloat64(m.retrans); got != 8 {
		t.Errorf("retransmits %v, want 8", got)
	}
	// The histogram saw the 2 s kernel in its 2.5 s bucket.
	body := scrape(t, m)
	if !strings.Contains(body, `pxed_file_transfer_duration_seconds_bucket{proto="tftp",result="ok",le="2.5"} 2`) {
		t.Errorf("duration histogram missing or wrong:\n%s", grep(body, "pxed_file_transfer_duration_seconds_bucket{proto=\"tftp\",result=\"ok\""))
	}
}

// A transfer's result label comes from its outcome alone: rewording the
// Detail of a failure, or words that read like another result, move no
// count to another series. The label values are the ones dashboards and
// alerts select on.
func TestFileResultIgnoresWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		e    events.Event
		want string
	}{
		{events.Event{Kind: events.FileServed}, "ok"},
		{events.Event{Kind: events.FileServed, Detail: "not found"}, "ok"},
		{events.Event{Kind: events.FileFailed, Outcome: events.OutcomeNotFound}, "not_found"},
		{events.Event{Kind: events.FileFailed, Outcome: events.OutcomeDenied}, "denied"},
		{events.Event{Kind: events.FileFailed, Outcome: events.OutcomeTimeout}, "timeout"},
		{events.Event{Kind: events.FileFailed, Outcome: events.OutcomeError}, "error"},
		{events.Event{Kind: events.FileFailed}, "error"},
	} {
		for _, detail := range []string{"", "not found", "no such file", "access denied", "TFTP timeout after block 812", "timed out"} {
			e := c.e
			e.Detail = detail
			if got := fileResult(e); got != c.want {
				t.Errorf("%v, outcome %v, detail %q: result %q, want %q", e.Kind, e.Outcome, detail, got, c.want)
			}
		}
	}
}

func TestDHCPAndPoolMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	var st dhcp.Stats
	st.Received.Add(7)
	st.Malformed.Add(1)
	st.Conflicts.Add(2)
	m.WatchDHCP(&st)
	r := lease.Range{First: netip.MustParseAddr("10.0.0.10"), Last: netip.MustParseAddr("10.0.0.19")}
	m.WatchPools(func() []Pool { return []Pool{{Name: "10.0.0.10-10.0.0.19", Range: r}} }, func(got lease.Range) (int, int) {
		if got != r {
			t.Errorf("usage asked for %v", got)
		}
		return 3, 7
	})
	body := scrape(t, m)
	for _, want := range []string{
		"pxed_dhcp_received_total 7",
		"pxed_dhcp_malformed_total 1",
		"pxed_dhcp_lease_conflicts_total 2",
		`pxed_dhcp_pool_addresses{pool="10.0.0.10-10.0.0.19",state="in_use"} 3`,
		`pxed_dhcp_pool_addresses{pool="10.0.0.10-10.0.0.19",state="free"} 7`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// TestFloodAddsNoSeries: 100,000 distinct machines and file names add no
// series: labels come from fixed sets.
func TestFloodAddsNoSeries(t *testing.T) {
	t.Parallel()
	m := New()
	count := func() int {
		n, err := testutil.GatherAndCount(m.Registry(), "pxed_file_transfers_total", "pxed_file_bytes_total", "pxed_file_transfer_duration_seconds")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 100_000 {
		mac := net.HardwareAddr{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		m.Record(events.Event{Kind: events.FileFailed, Proto: "tftp", MAC: mac, File: fmt.Sprintf("pxelinux.cfg/01-%s", mac), Outcome: events.OutcomeNotFound, Detail: "not found"})
		m.Record(events.Event{Kind: events.FileFailed, Proto: fmt.Sprint("p", i%3), File: fmt.Sprint(i), Detail: fmt.Sprint("e", i)})
	}
	if n := count(); n > 6 {
		t.Errorf("%d series after a flood of distinct MACs and names", n)
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	return w.Body.String()
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReloadMetrics: what an operator alerts on after editing the file:
// the refused reloads, and whether the running config is the file's.
func TestReloadMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	start := time.Unix(1_800_000_000, 0)
	m.ConfigLoaded(start)
	m.Reloaded(start.Add(time.Minute), false)
	m.Reloaded(start.Add(2*time.Minute), true)
	body := scrape(t, m)
	for _, want := range []string{
		`pxed_config_reloads_total{result="ok"} 1`,
		`pxed_config_reloads_total{result="refused"} 1`,
		"pxed_config_last_reload_success_timestamp_seconds 1.80000006e+09",
		"pxed_config_last_reload_successful 0",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("missing %q in:\n%s", want, grep(body, "pxed_config"))
		}
	}
	m.Reloaded(start.Add(3*time.Minute), false)
	if body := scrape(t, m); !strings.Contains(body, "pxed_config_last_reload_successful 1\n") {
		t.Errorf("after a reload that applied:\n%s", grep(body, "pxed_config"))
	}
}
