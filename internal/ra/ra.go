package ra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"

	"github.com/pxed/pxed/internal/logsink"
)

// ICMPv6 message types (RFC 4861 §4.1, §4.2).
const (
	typeRouterSolicitation   = 133
	typeRouterAdvertisement  = 134
	optSourceLinkLayerAddr   = 1
	minDelayBetweenMulticast = 3 * time.Second // MIN_DELAY_BETWEEN_RAS, RFC 4861 §10
)

// Advertisement returns the minimal router advertisement pxed sends, from
// the interface with hardware address mac: M and O clear, router lifetime
// 0, no prefix (the zero Advert). The checksum is left zero: the kernel
// fills it in for ICMPv6 sockets.
func Advertisement(mac net.HardwareAddr) []byte { return Advert{}.Bytes(mac) }

// isSolicitation checks a received message as RFC 4861 §6.1.1 asks: a
// router solicitation, code 0, hop limit 255 (so it cannot have come
// through a router), at least 8 octets.
func isSolicitation(msg []byte, hopLimit int) (bool, string) {
	switch {
	case len(msg) < 8:
		return false, "shorter than 8 octets"
	case msg[0] != typeRouterSolicitation:
		return false, fmt.Sprintf("ICMPv6 type %d", msg[0])
	case msg[1] != 0:
		return false, fmt.Sprintf("code %d", msg[1])
	case hopLimit != 255:
		return false, fmt.Sprintf("hop limit %d, not 255", hopLimit)
	}
	return true, ""
}

// Link is an interface pxed advertises on, and what it says there.
type Link struct {
	Interface string
	Advert    Advert
	// Interval is MaxRtrAdvInterval: pxed also advertises unsolicited
	// (RFC 4861 §6.2.4), at once when it starts, then every
	// MinRtrAdvInterval..Interval, so that hosts that never solicit learn
	// the M flag. 0: it answers solicitations only (the minimal
	// advertisement's way).
	Interval time.Duration
}

// Responder answers router solicitations, and advertises unsolicited, on a
// set of interfaces.
type Responder struct {
	Links  []Link
	Logger *slog.Logger

	conn *icmp.PacketConn // opened by Listen; nil when no interface exists
	ifs  map[int]*iface
}

// iface is a Link on an interface that exists.
type iface struct {
	*net.Interface
	Link
}

func (r *Responder) logger() *slog.Logger {
	return logsink.Or(r.Logger)
}

// Listen opens the ICMPv6 socket (which needs CAP_NET_RAW, a privilege pxed
// may drop once it is open) and joins all-routers on the interfaces.
func (r *Responder) Listen() error {
	log := r.logger()
	r.ifs = map[int]*iface{}
	for _, l := range r.Links {
		ifi, err := net.InterfaceByName(l.Interface)
		if err != nil {
			// Only an optimisation: DHCP and TFTP go on without it.
			log.Warn("ipv6 router advertisement: not answering on a missing interface", "iface", l.Interface, "err", err)
			continue
		}
		r.ifs[ifi.Index] = &iface{Interface: ifi, Link: l}
	}
	if len(r.ifs) == 0 {
		return nil
	}
	c, err := icmp.ListenPacket("ip6:ipv6-icmp", "::")
	if err != nil {
		return fmt.Errorf("router advertisement: ICMPv6 socket (needs CAP_NET_RAW): %w", err)
	}
	p := c.IPv6PacketConn()
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeRouterSolicitation)
	if err := p.SetICMPFilter(&f); err != nil {
		c.Close()
		return fmt.Errorf("router advertisement: ICMPv6 filter: %w", err)
	}
	if err := p.SetControlMessage(ipv6.FlagInterface|ipv6.FlagHopLimit, true); err != nil {
		c.Close()
		return err
	}
	p.SetMulticastHopLimit(255) // RFC 4861 §6.1.2: receivers drop anything less
	p.SetHopLimit(255)
	allRouters := &net.IPAddr{IP: net.ParseIP("ff02::2")}
	for _, ifi := range r.ifs {
		if err := p.JoinGroup(ifi.Interface, allRouters); err != nil {
			c.Close()
			return fmt.Errorf("router advertisement: joining ff02::2 on %s: %w", ifi.Name, err)
		}
	}
	r.conn = c
	return nil
}

// sender writes advertisements; it rate-limits those to all nodes.
type sender struct {
	p   *ipv6.PacketConn
	log *slog.Logger

	mu            sync.Mutex
	lastMulticast map[int]time.Time
}

// multicastDue reports whether an advertisement to all nodes may go on
// ifi now, and if so counts it as sent: RFC 4861 §6.2.6 allows one every
// MIN_DELAY_BETWEEN_RAS (3 s).
func (s *sender) multicastDue(ifi *iface) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.lastMulticast[ifi.Index]) < minDelayBetweenMulticast {
		return false
	}
	s.lastMulticast[ifi.Index] = time.Now()
	return true
}

func (s *sender) send(ifi *iface, a Advert, dst *net.IPAddr, why string) {
	out := &ipv6.ControlMessage{HopLimit: 255, IfIndex: ifi.Index}
	if _, err := s.p.WriteTo(a.Bytes(ifi.HardwareAddr), out, dst); err != nil {
		s.log.Warn("ipv6 router advertisement not sent", "iface", ifi.Name, "to", dst.String(), "err", err)
		return
	}
	s.log.Debug("ipv6 router advertisement sent", "iface", ifi.Name, "to", dst.String(), "why", why)
}

func allNodes(ifi *iface) *net.IPAddr {
	return &net.IPAddr{IP: net.ParseIP("ff02::1"), Zone: ifi.Name}
}

// advertise sends ifi's unsolicited advertisements until ctx ends (RFC
// 4861 §6.2.4), then, if it was a default router, one with router
// lifetime 0 so that hosts stop using it (§6.2.5).
func (s *sender) advertise(ctx context.Context, ifi *iface) {
	t := time.NewTimer(0)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			if ifi.Advert.RouterLifetime > 0 {
				final := ifi.Advert
				final.RouterLifetime = 0
				s.send(ifi, final, allNodes(ifi), "ceasing to advertise")
			}
			return
		case <-t.C:
		}
		if s.multicastDue(ifi) {
			s.send(ifi, ifi.Advert, allNodes(ifi), "unsolicited")
		}
		t.Reset(nextAdvert(n, ifi.Interval))
	}
}

// Serve answers until ctx ends, on the socket Listen opened (it calls
// Listen first if that was not done).
func (r *Responder) Serve(ctx context.Context) error {
	if r.ifs == nil {
		if err := r.Listen(); err != nil {
			return err
		}
	}
	c, ifs, log := r.conn, r.ifs, r.logger()
	if c == nil {
		return nil
	}
	// Closed once the goroutines below, which write to it, are done; they
	// end with ctx, or when Serve returns on an error.
	defer c.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := c.IPv6PacketConn()
	s := &sender{p: p, log: log, lastMulticast: map[int]time.Time{}}
	for _, ifi := range ifs {
		if ifi.Interval > 0 {
			log.Info("ipv6 router advertisement sending", "iface", ifi.Name, "managed", ifi.Advert.Managed, "other", ifi.Advert.Other,
				"prefixes", len(ifi.Advert.Prefixes), "router_lifetime", ifi.Advert.RouterLifetime)
			wg.Go(func() { s.advertise(ctx, ifi) })
		} else {
			log.Info("ipv6 router advertisement answering", "iface", ifi.Name)
		}
	}
	wg.Go(func() {
		<-ctx.Done()
		c.SetReadDeadline(time.Now())
	})
	buf := make([]byte, 1500)
	for {
		n, cm, src, err := p.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return fmt.Errorf("router advertisement: %w", err)
		}
		if cm == nil {
			continue
		}
		ifi, ok := ifs[cm.IfIndex]
		if !ok {
			continue
		}
		if ok, why := isSolicitation(buf[:n], cm.HopLimit); !ok {
			log.Debug("ipv6 packet ignored", "iface", ifi.Name, "from", src.String(), "reason", why)
			continue
		}
		// RFC 4861 §6.2.6: a solicitation from an address may be answered
		// by unicast; one from the unspecified address by multicast to all
		// nodes, no more often than every 3 s.
		dst := allNodes(ifi)
		if a, ok := src.(*net.IPAddr); ok && a.IP != nil && !a.IP.IsUnspecified() {
			dst = &net.IPAddr{IP: a.IP, Zone: ifi.Name}
		} else if !s.multicastDue(ifi) {
			continue
		}
		s.send(ifi, ifi.Advert, dst, "solicited by "+src.String())
	}
}
