package app

import (
	"context"
	"net"
	"net/netip"
	"sync"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/ipmap"
	"github.com/pxed/pxed/internal/syslogd"
)

// openSyslog opens the receiver of installers' logs, when syslog.listen
// is set: each line goes on the timeline of the machine whose address
// sent it (bootEvents, so that the Log, the metrics and, on an instance
// sharing its timelines, the other instances see it).
func (s *services) openSyslog(context.Context) error {
	addr := s.cfg.Syslog.Listen
	if addr == "" {
		return nil
	}
	hosts := &hostAddrs{snapshot: s.cat.Snapshot}
	srv := &syslogd.Server{
		Machine: senderOf(s.who, hosts),
		Events:  s.recorder,
		Logger:  s.log,
	}
	s.met.WatchSyslog(srv.Stats())
	conn, err := syslogd.Listen(addr)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, conn)
	s.serve = append(s.serve, func(ctx context.Context) error { return srv.Serve(ctx, conn) })
	s.log.Info("syslog receiving", "addr", conn.LocalAddr().String())
	return nil
}

// senderOf names the machine that sent from an address: the one pxed (or,
// with a shared store, another instance) leased it to, else the host whose
// fixed address it is, for machines configured by hand.
func senderOf(who *ipmap.Map, hosts *hostAddrs) func(context.Context, netip.Addr) (net.HardwareAddr, bool) {
	return func(ctx context.Context, ip netip.Addr) (net.HardwareAddr, bool) {
		if mac, ok := who.Holder(ctx, ip); ok {
			return mac, true
		}
		return hosts.holder(ip)
	}
}

// hostAddrs indexes the hosts' fixed addresses (ip, ip6) by address, once
// per catalog snapshot.
type hostAddrs struct {
	snapshot func() *catalog.Snapshot

	mu   sync.Mutex
	of   *catalog.Snapshot // the snapshot byIP was made from
	byIP map[netip.Addr]net.HardwareAddr
}

func (h *hostAddrs) holder(ip netip.Addr) (net.HardwareAddr, bool) {
	snap := h.snapshot()
	h.mu.Lock()
	defer h.mu.Unlock()
	if snap != h.of {
		h.of, h.byIP = snap, fixedAddrs(snap.Hosts())
	}
	mac, ok := h.byIP[ip.Unmap().WithZone("")]
	return mac, ok
}

// fixedAddrs maps each host's fixed addresses to its MAC; a host known by
// a glob or a UUID alone has no one MAC and is left out, as is an address
// a second host claims (config.Validate reports it).
func fixedAddrs(hosts []*catalog.Host) map[netip.Addr]net.HardwareAddr {
	out := make(map[netip.Addr]net.HardwareAddr, len(hosts))
	for _, h := range hosts {
		mac := h.MAC.HardwareAddr
		if len(mac) == 0 {
			continue
		}
		for _, a := range []config.Addr{h.IP, config.Addr(h.IP6)} {
			if _, dup := out[a.Addr]; a.IsValid() && !dup {
				out[a.Addr] = mac
			}
		}
	}
	return out
}
