package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pxed/pxed/internal/dhcp"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/lease"
)

// Metrics records boot events and reads the servers' counters at scrape
// time. It is an events.Recorder.
type Metrics struct {
	reg      *prometheus.Registry
	files    *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	retrans  prometheus.Counter
	duration *prometheus.HistogramVec
	callback prometheus.Counter
}

// New returns Metrics on a new registry, with the Go runtime's and the
// process's own collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pxed_file_transfers_total",
			Help: "Files requested over TFTP, HTTP or HTTPS, by protocol and result (ok, not_found, denied, timeout, tls, error).",
		}, []string{"proto", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pxed_file_bytes_total",
			Help: "Payload bytes sent over TFTP or HTTP (TFTP retransmissions not counted).",
		}, []string{"proto"}),
		retrans: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pxed_tftp_retransmits_total",
			Help: "TFTP DATA and OACK packets sent again after a timeout or a lost block.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pxed_file_transfer_duration_seconds",
			Help: "Time from a file's request to its last byte acknowledged (TFTP) or written (HTTP).",
			// From a config file over loopback to a 40 MB initrd over lock-step TFTP.
			Buckets: []float64{0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"proto", "result"}),
		callback: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pxed_install_callbacks_total",
			Help: "Calls back from installers.",
		}),
	}
	m.reg.MustRegister(m.files, m.bytes, m.retrans, m.duration, m.callback,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the metrics live, for tests and for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Record counts a finished file transfer or an install callback; DHCP is
// counted from the server's Stats instead (see WatchDHCP), where the
// request's type and its outcome are known together.
func (m *Metrics) Record(e events.Event) {
	switch e.Kind {
	case events.FileServed, events.FileFailed:
	case events.Callback:
		m.callback.Inc()
		return
	default:
		return
	}
	proto := e.Proto
	if proto != "tftp" && proto != "http" && proto != "https" {
		proto = "other"
	}
	result := fileResult(e)
	m.files.WithLabelValues(proto, result).Inc()
	m.bytes.WithLabelValues(proto).Add(float64(e.Bytes))
	m.duration.WithLabelValues(proto, result).Observe(e.Dur.Seconds())
	if e.Retransmits > 0 {
		m.retrans.Add(float64(e.Retransmits))
	}
}

// fileResult is a transfer's outcome as a label value: from the event's
// typed outcome alone, so rewording a failure's Detail changes no series.
func fileResult(e events.Event) string {
	return e.Result().Label()
}

// WatchDHCP reads st at every scrape.
func (m *Metrics) WatchDHCP(st *dhcp.Stats) {
	m.reg.MustRegister(&dhcpCollector{st: st})
}

// Pool is an address range whose use is reported.
type Pool struct {
	Name  string // how the label shows it: the range as configured
	Range lease.Range
}

// WatchPools reports, at every scrape, the addresses of each pool that are
// in use and free, as usage counts them (an Allocator's Usage).
func (m *Metrics) WatchPools(pools []Pool, usage func(lease.Range) (inUse, free int)) {
	m.reg.MustRegister(&poolCollector{pools: pools, usage: usage})
}

var (
	descMessages = prometheus.NewDesc("pxed_dhcp_messages_total",
		"DHCP requests by message type and what became of them (offer, ack, nak, proxy_offer, proxy_ack, no_reply, store_failed, send_failed, conflict).",
		[]string{"type", "result"}, nil)
	descReceived  = prometheus.NewDesc("pxed_dhcp_received_total", "DHCP datagrams read.", nil, nil)
	descMalformed = prometheus.NewDesc("pxed_dhcp_malformed_total", "DHCP datagrams that did not parse.", nil, nil)
	descLimited   = prometheus.NewDesc("pxed_dhcp_rate_limited_total",
		"DHCP requests dropped by a rate limit (per_mac, or global for unknown clients).", []string{"limit"}, nil)
	descExhausted = prometheus.NewDesc("pxed_dhcp_pool_exhausted_total", "DISCOVERs that found no free address.", nil, nil)
	descLeases    = prometheus.NewDesc("pxed_dhcp_pool_addresses",
		"Addresses of a pool in use (an active lease or a held offer) and free.", []string{"pool", "state"}, nil)
)

// descConflicts counts what the message counts cannot show: a conflict
// answered with a NAK counts there as a NAK.
var descConflicts = prometheus.NewDesc("pxed_dhcp_lease_conflicts_total",
	"Leases the store refused because another client got the address first (another pxed sharing the store), answered with a NAK or not at all.", nil, nil)

type dhcpCollector struct{ st *dhcp.Stats }

func (c *dhcpCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descReceived, descMalformed, descLimited, descExhausted, descConflicts} {
		ch <- d
	}
}

func (c *dhcpCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.st
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	st.Messages(func(mt string, r dhcp.Result, n uint64) { counter(descMessages, n, mt, r.String()) })
	counter(descReceived, st.Received.Load())
	counter(descMalformed, st.Malformed.Load())
	counter(descLimited, st.RateLimited.Load(), "per_mac")
	counter(descLimited, st.GlobalLimited.Load(), "global")
	counter(descExhausted, st.Exhausted.Load())
	counter(descConflicts, st.Conflicts.Load())
}

type poolCollector struct {
	pools []Pool
	usage func(lease.Range) (int, int)
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descLeases }

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools {
		use, free := c.usage(p.Range)
		ch <- prometheus.MustNewConstMetric(descLeases, prometheus.GaugeValue, float64(use), p.Name, "in_use")
		ch <- prometheus.MustNewConstMetric(descLeases, prometheus.GaugeValue, float64(free), p.Name, "free")
	}
}
