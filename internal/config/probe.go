package config

import (
	"math"
	"time"
)

// Probe is conflict probing (internal/probe): pxed checks, in the
// background, that the next addresses each pool would offer are not in
// use (ARP on the subnets of its interfaces, ICMP echo on relayed ones),
// and holds back an address that answers; it probes reservations too and
// reports squatters. A DISCOVER never waits for a probe.
type Probe struct {
	// Enabled switches probing on for every subnet (default on); a
	// subnet's probe: false turns it off there.
	Enabled *bool `yaml:"enabled"`
	// Rate is the most probes per second sent on one link (default 50).
	Rate float64 `yaml:"rate"`
	// Window is how many of each pool's next addresses are kept probed
	// (default 64).
	Window int `yaml:"window"`
	// Wait is how long a probe waits for an answer (default 500ms).
	Wait Duration `yaml:"wait"`
	// FreshFor is how long an address found free is believed free
	// (default 60s); then it is probed again.
	FreshFor Duration `yaml:"fresh_for"`
	// ConflictHold is how long an address that answered stays out of its
	// pool before it is probed again (default 10m).
	ConflictHold Duration `yaml:"conflict_hold"`
	// ReservationsEvery is how often each reservation is probed (default 1m).
	ReservationsEvery Duration `yaml:"reservations_every"`
}

// Probe defaults (docs/config.md).
const (
	DefaultProbeRate              = 50
	DefaultProbeWindow            = 64
	DefaultProbeWait              = 500 * time.Millisecond
	DefaultProbeFreshFor          = 60 * time.Second
	DefaultProbeConflictHold      = 10 * time.Minute
	DefaultProbeReservationsEvery = time.Minute
)

func (p *Probe) applyDefaults() {
	if p.Rate == 0 {
		p.Rate = DefaultProbeRate
	}
	if p.Window == 0 {
		p.Window = DefaultProbeWindow
	}
	if p.Wait == 0 {
		p.Wait = Duration(DefaultProbeWait)
	}
	if p.FreshFor == 0 {
		p.FreshFor = Duration(DefaultProbeFreshFor)
	}
	if p.ConflictHold == 0 {
		p.ConflictHold = Duration(DefaultProbeConflictHold)
	}
	if p.ReservationsEvery == 0 {
		p.ReservationsEvery = Duration(DefaultProbeReservationsEvery)
	}
}

// Probes reports whether subnet i of dhcp.subnets is probed: probing on
// network-wide unless the subnet says probe: false, and never on a
// ProxyDHCP subnet (another server's addresses).
func (c *Config) Probes(i int) bool {
	s := c.DHCP.Subnets[i]
	if s.Proxy {
		return false
	}
	if s.Probe != nil {
		return *s.Probe
	}
	return On(c.DHCP.Probe.Enabled)
}

func (v *validator) probe() {
	p := v.c.DHCP.Probe
	if p.Rate < 0 || p.Rate > 10000 || math.IsNaN(p.Rate) {
		v.add("dhcp.probe.rate", "probe rate %v must be between 0 and 10000 probes per second per link (0: the default, %d)", p.Rate, DefaultProbeRate)
	}
	if p.Window < 0 || p.Window > 4096 {
		v.add("dhcp.probe.window", "probe window %d must be between 1 and 4096 addresses per pool (0: the default, %d)", p.Window, DefaultProbeWindow)
	}
	if p.Wait < 0 || p.Wait.D() > 10*time.Second {
		v.add("dhcp.probe.wait", "probe wait %s must be positive and at most 10s", p.Wait.D())
	}
	v.positive("dhcp.probe.fresh_for", "fresh_for", p.FreshFor)
	if p.FreshFor > 0 && p.Wait > 0 && p.FreshFor <= p.Wait {
		v.add("dhcp.probe.fresh_for", "fresh_for %s must be longer than the probe wait %s", p.FreshFor.D(), p.Wait.D())
	}
	v.positive("dhcp.probe.conflict_hold", "conflict_hold", p.ConflictHold)
	if p.ReservationsEvery.D() < time.Second {
		v.add("dhcp.probe.reservations_every", "reservations_every %s must be at least 1s", p.ReservationsEvery.D())
	}
}
