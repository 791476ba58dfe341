package syslogd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/logsink"
	"github.com/pxed/pxed/internal/ratelimit"
)

// Defaults of the Server's rate bounds.
const (
	// DefaultPerMachine is the lines per second taken from one machine: a
	// Debian install sends a few hundred lines in bursts over minutes.
	DefaultPerMachine = 100
	// DefaultGlobal is the lines per second taken from all machines
	// together, so that a flood costs little more than its reads.
	DefaultGlobal = 2000
)

// maxDatagram is the largest datagram read whole. RFC 5426 §3.2 has
// receivers take at least 2048 octets over IPv6 and 480 over IPv4 and
// should take more; the rest of a longer one is cut off by the read.
const maxDatagram = 8192

// Drop is why a datagram became no line on a timeline.
type Drop uint8

const (
	// DropUnknownSender is a datagram from an address no machine pxed
	// knows holds: pxed did not lease it and no host has it fixed. Taking
	// those would let anyone on the network make up machines.
	DropUnknownSender Drop = iota
	// DropRateMachine is a line past its machine's rate.
	DropRateMachine
	// DropRateGlobal is a line past the rate of all machines together.
	DropRateGlobal
	// DropEmpty is a datagram with nothing in it to show.
	DropEmpty
	numDrops
)

var dropNames = [numDrops]string{"unknown_sender", "rate_machine", "rate_global", "empty"}

// String is the reason as a metrics label.
func (d Drop) String() string {
	if d < numDrops {
		return dropNames[d]
	}
	return "unknown"
}

// Drops lists every reason, in order, for collectors.
func Drops() []Drop {
	out := make([]Drop, numDrops)
	for i := range out {
		out[i] = Drop(i)
	}
	return out
}

// Stats counts what the server received; safe to read while it serves.
type Stats struct {
	received atomic.Uint64
	recorded [3]atomic.Uint64 // by Format
	dropped  [numDrops]atomic.Uint64
}

// Received is how many datagrams were read.
func (s *Stats) Received() uint64 { return s.received.Load() }

// Recorded is how many lines of format f went to a timeline.
func (s *Stats) Recorded(f Format) uint64 {
	if int(f) >= len(s.recorded) {
		return 0
	}
	return s.recorded[f].Load()
}

// Dropped is how many datagrams were dropped for reason d.
func (s *Stats) Dropped(d Drop) uint64 {
	if d >= numDrops {
		return 0
	}
	return s.dropped[d].Load()
}

// Server receives syslog over UDP (RFC 5426) and records each line on the
// timeline of the machine that sent it. Its zero value is usable: it
// drops every line as from an unknown sender until Machine is set.
type Server struct {
	// Machine names the machine holding ip; it may wait briefly (a lookup
	// in the shared lease store, bounded by its owner). A line from an
	// address it does not name is dropped.
	Machine func(ctx context.Context, ip netip.Addr) (net.HardwareAddr, bool)
	// Events gets each line as an events.InstallerLog; nil: discarded.
	Events events.Recorder
	Logger *slog.Logger // nil: no logging
	// PerMachine and Global bound the lines taken per second, from one
	// machine and from all; 0 takes the default, a negative value no bound.
	PerMachine float64
	Global     float64
	// Now is the clock of the lines' times and the rate bounds; time.Now
	// when nil.
	Now func() time.Time

	stats Stats
}

// Stats are the server's counters, for metrics.
func (s *Server) Stats() *Stats { return &s.stats }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ListenAndServe listens on the UDP address addr (":514" if empty) and
// serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	conn, err := Listen(addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	return s.Serve(ctx, conn)
}

// Listen opens the UDP socket of addr (":514" if empty: RFC 5426 §3.3).
func Listen(addr string) (net.PacketConn, error) {
	if addr == "" {
		addr = ":514"
	}
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("syslog: listening on %s: %w", addr, err)
	}
	return conn, nil
}

// Serve reads datagrams from conn until ctx ends (then it closes conn and
// returns nil) or conn fails. One goroutine reads, parses and records: a
// line costs microseconds, and lines of one machine keep their order.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	log := logsink.Or(s.Logger)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	limits := newLimits(s.PerMachine, s.Global)
	var p Parser
	buf := make([]byte, maxDatagram)
	for {
		// A deadline on every read, so that a socket that stops
		// delivering is noticed by the loop rather than held forever.
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				continue
			}
			return fmt.Errorf("syslog: reading: %w", err)
		}
		s.stats.received.Add(1)
		ip := addrOf(from)
		e, drop, ok := s.handle(ctx, &p, limits, ip, buf[:n])
		if !ok {
			s.stats.dropped[drop].Add(1)
			log.Debug("syslog line dropped", "ip", ip, "reason", drop.String(), "bytes", n)
			continue
		}
		if s.Events != nil {
			s.Events.Record(e)
		}
	}
}

// handle turns one datagram from ip into the event of its line, or says
// why it makes none.
func (s *Server) handle(ctx context.Context, p *Parser, l *limits, ip netip.Addr, b []byte) (events.Event, Drop, bool) {
	now := s.now()
	var mac net.HardwareAddr
	ok := false
	if s.Machine != nil && ip.IsValid() {
		mac, ok = s.Machine(ctx, ip)
	}
	if !ok || len(mac) == 0 {
		return events.Event{}, DropUnknownSender, false
	}
	// The machine's own bound first: a flooding machine's lines past it
	// take nothing from the others' share of the global one.
	if !l.perMachine.Allow(mac, now) {
		return events.Event{}, DropRateMachine, false
	}
	if !l.global.Allow(now) {
		return events.Event{}, DropRateGlobal, false
	}
	line := p.Parse(b)
	if line.Msg == "" && line.App == "" {
		return events.Event{}, DropEmpty, false
	}
	s.stats.recorded[line.Format].Add(1)
	return Event(line, mac, ip, now), 0, true
}

// Event is line, sent by the machine mac from ip and received at t, as
// its timeline keeps it.
func Event(line Line, mac net.HardwareAddr, ip netip.Addr, t time.Time) events.Event {
	return events.Event{Time: t, MAC: mac, IP: ip, Kind: events.InstallerLog, Proto: "syslog", Detail: line.Detail()}
}

type limits struct {
	perMachine *ratelimit.PerClient
	global     *ratelimit.Global
}

func newLimits(perMachine, global float64) *limits {
	if perMachine == 0 {
		perMachine = DefaultPerMachine
	}
	if global == 0 {
		global = DefaultGlobal
	}
	// A burst of a second's worth: an installer writes in bursts (a
	// package list unpacked, a partition table printed).
	l := &limits{global: ratelimit.NewGlobal(global)}
	if perMachine > 0 {
		l.perMachine = ratelimit.NewPerClient(ratelimit.Limits{PerClient: perMachine, Burst: int(perMachine), MaxClients: 4096})
	}
	return l
}

// addrOf is the sender's address in the one form pxed files addresses
// under: no zone, an IPv4-mapped address as IPv4.
func addrOf(a net.Addr) netip.Addr {
	if u, ok := a.(*net.UDPAddr); ok {
		ip, _ := netip.AddrFromSlice(u.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}
