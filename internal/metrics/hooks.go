package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pxed/pxed/internal/hook"
)

var (
	descHookEvents = prometheus.NewDesc("pxed_hook_events_total",
		"Events a hook subscribes to, by hook, way of delivery (url, command) and what became of them: ok, failed (refused, attempts used up, exit status not 0), timeout (the command, or a POST's last attempt, ran past the hook's timeout), dropped (the hook's queue was full, or pxed shut down first).",
		[]string{"hook", "via", "result"}, nil)
	descHookRetries = prometheus.NewDesc("pxed_hook_retries_total",
		"Hook POSTs sent again after a failure that may pass (no connection, a timeout, 408, 429, 5xx).",
		[]string{"hook", "via"}, nil)
	descHookQueued = prometheus.NewDesc("pxed_hook_queued_events",
		"Events waiting in a hook's queue.", []string{"hook", "via"}, nil)
)

// WatchHooks reports, at every scrape, what became of the events each of
// n's hooks took. The labels are the configured hooks' names: no client
// can add a series.
func (m *Metrics) WatchHooks(n *hook.Notifier) {
	m.reg.MustRegister(&hookCollector{n: n})
}

type hookCollector struct{ n *hook.Notifier }

func (c *hookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descHookEvents
	ch <- descHookRetries
	ch <- descHookQueued
}

func (c *hookCollector) Collect(ch chan<- prometheus.Metric) {
	c.n.Each(func(name string, via hook.Via, n hook.Counts) {
		v := via.String()
		// Every result, zeros too, so that a rate over a series that has
		// not moved yet is 0 rather than absent.
		for r, count := range n.Results {
			ch <- prometheus.MustNewConstMetric(descHookEvents, prometheus.CounterValue, float64(count), name, v, hook.Result(r).String())
		}
		ch <- prometheus.MustNewConstMetric(descHookRetries, prometheus.CounterValue, float64(n.Retries), name, v)
		ch <- prometheus.MustNewConstMetric(descHookQueued, prometheus.GaugeValue, float64(n.Queued), name, v)
	})
}
