package metrics

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pxed/pxed/internal/dhcp"
	"github.com/pxed/pxed/internal/dhcp6"
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

	reloads      *prometheus.CounterVec
	reloadedAt   prometheus.Gauge
	reloadFileOK prometheus.Gauge
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
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pxed_config_reloads_total",
			Help: "Reloads of the config file (SIGHUP, pxed reload, POST /api/v1/reload) by result: ok, or refused (the file has problems; the running config stays).",
		}, []string{"result"}),
		reloadedAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pxed_config_last_reload_success_timestamp_seconds",
			Help: "When the running config was read from the file: the start, or the last reload that applied.",
		}),
		reloadFileOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pxed_config_last_reload_successful",
			Help: "1 when the last reading of the config file was served (at the start or by a reload); 0 when the last reload was refused and an older config serves.",
		}),
	}
	// Both results from the start, so that a rate over them is defined
	// before the first reload.
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("refused")
	m.reloadFileOK.Set(1)
	m.reg.MustRegister(m.files, m.bytes, m.retrans, m.duration, m.callback, m.reloads, m.reloadedAt, m.reloadFileOK,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ConfigLoaded records that the config file read at t serves: at the
// start, and after each reload that applied.
func (m *Metrics) ConfigLoaded(t time.Time) {
	m.reloadedAt.Set(float64(t.UnixNano()) / 1e9)
	m.reloadFileOK.Set(1)
}

// Reloaded counts a reload of the config file at t: applied (refused
// false), or refused, the older config serving on.
func (m *Metrics) Reloaded(t time.Time, refused bool) {
	if refused {
		m.reloads.WithLabelValues("refused").Inc()
		m.reloadFileOK.Set(0)
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
	m.ConfigLoaded(t)
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
// in use and free, as usage counts them (an Allocator's Usage). pools gives
// the pools of the config serving at that scrape.
func (m *Metrics) WatchPools(pools func() []Pool, usage func(lease.Range) (inUse, free int)) {
	m.reg.MustRegister(&poolCollector{pools: pools, usage: usage})
}

// WatchDHCP6 reads the DHCPv6 server's st at every scrape.
func (m *Metrics) WatchDHCP6(st *dhcp6.Stats) {
	m.reg.MustRegister(&dhcp6Collector{st: st})
}

// Pool6 is a DHCPv6 pool whose use is reported, with the prefix of its
// link.
type Pool6 struct {
	Prefix netip.Prefix
	Pool
}

// WatchPools6 reports, at every scrape, the addresses of each DHCPv6 pool
// that are in use and free, by prefix and pool, as usage counts them.
func (m *Metrics) WatchPools6(pools func() []Pool6, usage func(lease.Range) (inUse, free int)) {
	m.reg.MustRegister(&pool6Collector{pools: pools, usage: usage})
}

var (
	descMessages = prometheus.NewDesc("pxed_dhcp_messages_total",
		"DHCP requests by message type (BOOTP for a BOOTP request, without option 53) and what became of them (offer, ack, nak, proxy_offer, proxy_ack, bootreply, no_reply, store_failed, send_failed, conflict).",
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

// descBOOTPRefused says why BOOTP clients went unanswered: the message
// counts show them as BOOTP no_reply.
var descBOOTPRefused = prometheus.NewDesc("pxed_dhcp_bootp_refused_total",
	"BOOTP requests not answered by the configuration, by reason (off: the subnet's bootp is off; not_reserved: no fixed address and bootp is not dynamic; proxy: a ProxyDHCP subnet; exhausted: no free pool address).",
	[]string{"reason"}, nil)

type dhcpCollector struct{ st *dhcp.Stats }

func (c *dhcpCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descReceived, descMalformed, descLimited, descExhausted, descConflicts, descBOOTPRefused} {
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
	st.BOOTPRefused(func(reason string, n uint64) { counter(descBOOTPRefused, n, reason) })
}

type poolCollector struct {
	pools func() []Pool
	usage func(lease.Range) (int, int)
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descLeases }

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools() {
		use, free := c.usage(p.Range)
		ch <- prometheus.MustNewConstMetric(descLeases, prometheus.GaugeValue, float64(use), p.Name, "in_use")
		ch <- prometheus.MustNewConstMetric(descLeases, prometheus.GaugeValue, float64(free), p.Name, "free")
	}
}

var (
	desc6Messages = prometheus.NewDesc("pxed_dhcp6_messages_total",
		"DHCPv6 client messages (relayed ones unwrapped) by type and what became of them: advertise, reply, "+
			"no_addrs_avail, no_binding, not_on_link, use_multicast, refused (a reply with another status code), "+
			"no_reply, store_failed, send_failed.",
		[]string{"type", "result"}, nil)
	desc6Received  = prometheus.NewDesc("pxed_dhcp6_received_total", "DHCPv6 datagrams read.", nil, nil)
	desc6Malformed = prometheus.NewDesc("pxed_dhcp6_malformed_total",
		"DHCPv6 datagrams that did not parse or were relayed through too many relays.", nil, nil)
	desc6Limited = prometheus.NewDesc("pxed_dhcp6_rate_limited_total",
		"DHCPv6 messages dropped by a rate limit (per_client DUID, or global for unknown clients).", []string{"limit"}, nil)
	desc6Exhausted = prometheus.NewDesc("pxed_dhcp6_pool_exhausted_total", "DHCPv6 messages that found no address to give.", nil, nil)
	desc6Pool      = prometheus.NewDesc("pxed_dhcp6_pool_addresses",
		"Addresses of a DHCPv6 pool in use (an active lease or a held Advertise) and free.", []string{"prefix", "pool", "state"}, nil)
)

type dhcp6Collector struct{ st *dhcp6.Stats }

func (c *dhcp6Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{desc6Messages, desc6Received, desc6Malformed, desc6Limited, desc6Exhausted} {
		ch <- d
	}
}

func (c *dhcp6Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.st
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	st.Messages(func(mt string, r dhcp6.Result, n uint64) { counter(desc6Messages, n, mt, r.String()) })
	counter(desc6Received, st.Received.Load())
	counter(desc6Malformed, st.Malformed.Load())
	counter(desc6Limited, st.RateLimited.Load(), "per_client")
	counter(desc6Limited, st.GlobalLimited.Load(), "global")
	counter(desc6Exhausted, st.Exhausted.Load())
}

type pool6Collector struct {
	pools func() []Pool6
	usage func(lease.Range) (int, int)
}

func (c *pool6Collector) Describe(ch chan<- *prometheus.Desc) { ch <- desc6Pool }

func (c *pool6Collector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools() {
		use, free := c.usage(p.Range)
		prefix := p.Prefix.String()
		ch <- prometheus.MustNewConstMetric(desc6Pool, prometheus.GaugeValue, float64(use), prefix, p.Name, "in_use")
		ch <- prometheus.MustNewConstMetric(desc6Pool, prometheus.GaugeValue, float64(free), prefix, p.Name, "free")
	}
}
