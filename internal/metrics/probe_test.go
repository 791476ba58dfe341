package metrics

import (
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/probe"
)

// TestProbeMetrics: the prober's counts as their series, with fixed labels.
func TestProbeMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	var st probe.Stats
	m.WatchProbe(&st)
	st.SentARP.Add(12)
	st.SentICMP.Add(3)
	st.PoolConflicts.Add(1)
	st.ReservationConflicts.Add(2)
	st.Probed.Add(7)
	st.Unprobed.Add(4)
	body := scrape(t, m)
	for _, want := range []string{
		`pxed_probe_sent_total{method="arp"} 12`,
		`pxed_probe_sent_total{method="icmp"} 3`,
		`pxed_probe_conflicts_total{kind="pool"} 1`,
		`pxed_probe_conflicts_total{kind="reservation"} 2`,
		`pxed_probe_offers_total{probed="yes"} 7`,
		`pxed_probe_offers_total{probed="no"} 4`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in:\n%s", want, grep(body, "pxed_probe"))
		}
	}
}
