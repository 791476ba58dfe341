package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pxed/pxed/internal/probe"
)

// WatchProbe reads the conflict prober's st at every scrape.
func (m *Metrics) WatchProbe(st *probe.Stats) {
	m.reg.MustRegister(&probeCollector{st: st})
}

var (
	descProbes = prometheus.NewDesc("pxed_probe_sent_total",
		"Conflict probes sent, by method (arp on the subnets of served interfaces, icmp on relayed ones).", []string{"method"}, nil)
	descProbeConflicts = prometheus.NewDesc("pxed_probe_conflicts_total",
		"Addresses found in use by a machine that should not use them, by kind (pool: held back from the pool; reservation: a reserved address answered by another machine, reported only).", []string{"kind"}, nil)
	descProbeOffers = prometheus.NewDesc("pxed_probe_offers_total",
		"Pool offers on probed subnets, by whether the address was known free when offered (probed=no: the window of probed addresses ran dry).", []string{"probed"}, nil)
)

type probeCollector struct{ st *probe.Stats }

func (c *probeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descProbes, descProbeConflicts, descProbeOffers} {
		ch <- d
	}
}

func (c *probeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.st
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descProbes, st.SentARP.Load(), probe.ARP.String())
	counter(descProbes, st.SentICMP.Load(), probe.ICMP.String())
	counter(descProbeConflicts, st.PoolConflicts.Load(), probe.Pool.String())
	counter(descProbeConflicts, st.ReservationConflicts.Load(), probe.Reservation.String())
	counter(descProbeOffers, st.Probed.Load(), "yes")
	counter(descProbeOffers, st.Unprobed.Load(), "no")
}
