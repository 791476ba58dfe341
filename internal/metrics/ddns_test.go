package metrics

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/ddns"
)

// TestDNSUpdateMetrics: /metrics shows the DNS updates by result, the
// ones that have not happened at 0, and what waits in the queue.
func TestDNSUpdateMetrics(t *testing.T) {
	t.Parallel()
	// No worker runs: one lease waits, the next finds the queue full.
	u := ddns.New(ddns.Options{Queue: 1})
	l := ddns.Lease{IP: netip.MustParseAddr("192.168.1.102"), MAC: net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x21}, Name: "station-02"}
	u.Observe(l)
	u.Observe(l)
	m := New()
	m.WatchDNSUpdates(u)
	out := scrape(t, m)
	var got []string
	for _, line := range strings.Split(grep(out, "pxed_dns_updates"), "\n") {
		if !strings.HasPrefix(line, "#") {
			got = append(got, line)
		}
	}
	want := []string{
		`pxed_dns_updates_queued 1`,
		`pxed_dns_updates_retries_total 0`,
		`pxed_dns_updates_total{result="conflict"} 0`,
		`pxed_dns_updates_total{result="dropped"} 1`,
		`pxed_dns_updates_total{result="failed"} 0`,
		`pxed_dns_updates_total{result="ok"} 0`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("dns update metrics (-want +got):\n%s", d)
	}
}
