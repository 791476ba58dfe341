package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pxed/pxed/internal/syslogd"
)

var (
	descSyslogReceived = prometheus.NewDesc("pxed_syslog_received_total",
		"Syslog datagrams read by the receiver of installers' logs.", nil, nil)
	descSyslogLines = prometheus.NewDesc("pxed_syslog_lines_total",
		"Syslog lines put on a machine's timeline, by the format they were read in (rfc3164, rfc5424, raw: neither, kept as sent).",
		[]string{"format"}, nil)
	descSyslogDropped = prometheus.NewDesc("pxed_syslog_dropped_total",
		"Syslog datagrams put on no timeline, by reason (unknown_sender: from an address no known machine holds; rate_machine, rate_global: past the rate bounds; empty).",
		[]string{"reason"}, nil)
)

// WatchSyslog reads the syslog receiver's st at every scrape.
func (m *Metrics) WatchSyslog(st *syslogd.Stats) {
	m.reg.MustRegister(&syslogCollector{st: st})
}

type syslogCollector struct{ st *syslogd.Stats }

func (c *syslogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descSyslogReceived
	ch <- descSyslogLines
	ch <- descSyslogDropped
}

func (c *syslogCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descSyslogReceived, c.st.Received())
	for _, f := range []syslogd.Format{syslogd.FormatRFC3164, syslogd.FormatRFC5424, syslogd.FormatRaw} {
		counter(descSyslogLines, c.st.Recorded(f), f.String())
	}
	for _, d := range syslogd.Drops() {
		counter(descSyslogDropped, c.st.Dropped(d), d.String())
	}
}
