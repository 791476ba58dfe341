package app

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/probe"
)

// openProbe opens the conflict prober's sockets, when DHCPv4 serves: an
// ARP socket on each served interface and one ICMP socket for relayed
// subnets. They need CAP_NET_RAW, as the DHCP server's packet socket
// does, and are opened here, before privileges are dropped; a socket that
// cannot be opened leaves its link unprobed (said once), never stops pxed.
// The plan (what to probe) follows the config serving and the catalog's
// hosts: at start, on each reload, and every planEvery.
func (s *services) openProbe(context.Context) error {
	if s.dhcp == nil {
		return nil
	}
	links := map[string]probe.Link{}
	for _, name := range s.cfg.Interfaces {
		l, err := probe.OpenARP(name)
		if err != nil {
			s.log.Warn("conflict probing off on this interface", "iface", name, "err", err)
			continue
		}
		links[name] = l
	}
	if l, err := probe.OpenICMP(); err != nil {
		s.log.Warn("conflict probing off on relayed subnets", "err", err)
	} else {
		links[""] = l
	}
	p := probe.New(s.alloc, links, s.log, time.Now)
	s.prober = p
	s.closers = append(s.closers, p)
	s.met.WatchProbe(p.Stats())
	s.dhcp.srv.Offered = p.Offered
	s.replan()
	s.serve = append(s.serve, p.Run, func(ctx context.Context) error {
		t := time.NewTicker(planEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				s.replan()
			}
		}
	})
	return nil
}

// planEvery is how often the probe plan is made again from the config
// serving, the catalog's hosts and the interfaces' addresses, so that a
// host added over the API is probed soon.
const planEvery = 10 * time.Second

// replan gives the prober the plan of the config serving now.
func (s *services) replan() {
	if s.prober == nil {
		return
	}
	var hosts []*catalog.Host
	if s.cat != nil {
		hosts = s.cat.Snapshot().Hosts()
	}
	s.prober.SetPlan(probePlan(s.live.Load(), hosts, interfaceNets(s.cfg.Interfaces)))
}

// interfaceNets lists the IPv4 networks of each named interface.
func interfaceNets(names []string) map[string][]netip.Prefix {
	out := map[string][]netip.Prefix{}
	for _, name := range names {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if p, err := netip.ParsePrefix(n.String()); err == nil && p.Addr().Is4() {
					out[name] = append(out[name], p.Masked())
				}
			}
		}
	}
	return out
}

// probePlan is what to probe under cfg: every pool and reserved address
// of each probed subnet (config.Probes), on the served interface whose
// network holds it (ARP), else as relayed (ICMP, link "").
func probePlan(cfg *config.Config, hosts []*catalog.Host, nets map[string][]netip.Prefix) probe.Plan {
	pr := cfg.DHCP.Probe
	pl := probe.Plan{Settings: probe.Settings{
		Rate: pr.Rate, Window: pr.Window, Wait: pr.Wait.D(), FreshFor: pr.FreshFor.D(),
		Hold: pr.ConflictHold.D(), ReservationsEvery: pr.ReservationsEvery.D(),
	}}
	linkOf := func(sub netip.Prefix) string {
		for name, ps := range nets {
			for _, p := range ps {
				if p.Overlaps(sub) {
					return name
				}
			}
		}
		return ""
	}
	for i, sub := range cfg.DHCP.Subnets {
		if !cfg.Probes(i) {
			continue
		}
		link := linkOf(sub.Network.Prefix)
		for _, r := range sub.Pools {
			pl.Pools = append(pl.Pools, probe.PoolTarget{Subnet: sub.Network.Prefix, Range: lease.Range(r), Iface: link})
		}
		for _, h := range hosts {
			if h.IP.IsValid() && sub.Network.Contains(h.IP.Addr) {
				pl.Reservations = append(pl.Reservations, probe.ReservationTarget{Subnet: sub.Network.Prefix, IP: h.IP.Addr,
					MAC: h.MAC.HardwareAddr, Host: h.Name, Iface: link})
			}
		}
	}
	return pl
}
