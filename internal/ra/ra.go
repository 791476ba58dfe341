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

// Advertisement returns the ICMPv6 router advertisement pxed sends, from the
// interface with hardware address mac. The checksum is left zero: the kernel
// fills it in for ICMPv6 sockets.
func Advertisement(mac net.HardwareAddr) []byte {
	b := []byte{
		typeRouterAdvertisement, 0, // type, code
		0, 0, // checksum
		0,    // cur hop limit: unspecified
		0,    // M, O flags clear: no DHCPv6
		0, 0, // router lifetime 0: not a default router
		0, 0, 0, 0, // reachable time: unspecified
		0, 0, 0, 0, // retrans timer: unspecified
	}
	if len(mac) == 6 {
		// RFC 4861 §4.6.1, in units of 8 octets: type, length 1, the MAC.
		b = append(b, optSourceLinkLayerAddr, 1)
		b = append(b, mac...)
	}
	return b
}

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

// Responder answers router solicitations on a set of interfaces.
type Responder struct {
	Interfaces []string
	Logger     *slog.Logger

	conn *icmp.PacketConn // opened by Listen; nil when no interface exists
	ifs  map[int]*net.Interface
}

func (r *Responder) logger() *slog.Logger {
	return logsink.Or(r.Logger)
}

// Listen opens the ICMPv6 socket (which needs CAP_NET_RAW, a privilege pxed
// may drop once it is open) and joins all-routers on the interfaces.
func (r *Responder) Listen() error {
	log := r.logger()
	r.ifs = map[int]*net.Interface{}
	for _, name := range r.Interfaces {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			// Only an optimisation: DHCP and TFTP go on without it.
			log.Warn("ipv6 router advertisement: not answering on a missing interface", "iface", name, "err", err)
			continue
		}
		r.ifs[ifi.Index] = ifi
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
		if err := p.JoinGroup(ifi, allRouters); err != nil {
			c.Close()
			return fmt.Errorf("router advertisement: joining ff02::2 on %s: %w", ifi.Name, err)
		}
	}
	r.conn = c
	return nil
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
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.Close()
	p := c.IPv6PacketConn()
	for _, ifi := range ifs {
		log.Info("ipv6 router advertisement answering", "iface", ifi.Name)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		c.SetReadDeadline(time.Now())
	}()
	lastMulticast := map[int]time.Time{}
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
		dst := &net.IPAddr{IP: net.ParseIP("ff02::1"), Zone: ifi.Name}
		if a, ok := src.(*net.IPAddr); ok && a.IP != nil && !a.IP.IsUnspecified() {
			dst = &net.IPAddr{IP: a.IP, Zone: ifi.Name}
		} else {
			if time.Since(lastMulticast[ifi.Index]) < minDelayBetweenMulticast {
				continue
			}
			lastMulticast[ifi.Index] = time.Now()
		}
		out := &ipv6.ControlMessage{HopLimit: 255, IfIndex: ifi.Index}
		if _, err := p.WriteTo(Advertisement(ifi.HardwareAddr), out, dst); err != nil {
			log.Warn("ipv6 router advertisement not sent", "iface", ifi.Name, "to", dst.String(), "err", err)
			continue
		}
		log.Debug("ipv6 router advertisement sent", "iface", ifi.Name, "to", dst.String(), "solicited_by", src.String())
	}
}
