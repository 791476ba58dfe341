package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pxed/pxed/internal/ddns"
)

var (
	descDNSUpdates = prometheus.NewDesc("pxed_dns_updates_total",
		"Leases whose names pxed put in DNS or took out of it, by what became of them: ok, conflict (the name is another client's or the operator's: left alone, RFC 4703), failed (no server took the update within the attempts), dropped (the queue was full).",
		[]string{"result"}, nil)
	descDNSRetries = prometheus.NewDesc("pxed_dns_updates_retries_total",
		"DNS updates sent again after a server did not answer or failed.", nil, nil)
	descDNSQueued = prometheus.NewDesc("pxed_dns_updates_queued",
		"Leases waiting for the DNS update worker.", nil, nil)
)

// WatchDNSUpdates reports, at every scrape, what became of the DNS
// updates of u.
func (m *Metrics) WatchDNSUpdates(u *ddns.Updater) {
	m.reg.MustRegister(&ddnsCollector{u: u})
}

type ddnsCollector struct{ u *ddns.Updater }

func (c *ddnsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDNSUpdates
	ch <- descDNSRetries
	ch <- descDNSQueued
}

func (c *ddnsCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.u.Counts()
	// Every result, zeros too, so that a rate is 0 rather than absent.
	for r, count := range n.Results {
		ch <- prometheus.MustNewConstMetric(descDNSUpdates, prometheus.CounterValue, float64(count), ddns.Result(r).String())
	}
	ch <- prometheus.MustNewConstMetric(descDNSRetries, prometheus.CounterValue, float64(n.Retries))
	ch <- prometheus.MustNewConstMetric(descDNSQueued, prometheus.GaugeValue, float64(n.Queued))
}
