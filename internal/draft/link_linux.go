package draft

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Link is what the kernel says of one interface.
type Link struct {
	Interface  string
	Addr       netip.Prefix // its first global IPv4 address
	Gateway    netip.Addr   // the default route's gateway if that route uses it
	Neighbours []netip.Addr // its neighbour table's IPv4 entries that answered
}

// Probe asks the kernel (netlink) about the interface named name, or, when
// name is "", about the one the default IPv4 route leaves through.
func Probe(name string) (Link, error) {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return Link{}, fmt.Errorf("reading the routing table: %w", err)
	}
	// The default route with the lowest metric is the one the kernel uses.
	var def *netlink.Route
	for i, r := range routes {
		if (r.Dst == nil || r.Dst.IP.IsUnspecified() && isZeroMask(r.Dst.Mask)) && r.Table == unix.RT_TABLE_MAIN &&
			(def == nil || r.Priority < def.Priority) {
			def = &routes[i]
		}
	}
	var link netlink.Link
	if name == "" {
		if def == nil {
			return Link{}, errors.New("no default route: name the interface with --interface")
		}
		if link, err = netlink.LinkByIndex(def.LinkIndex); err != nil {
			return Link{}, fmt.Errorf("the default route's interface: %w", err)
		}
	} else if link, err = netlink.LinkByName(name); err != nil {
		return Link{}, fmt.Errorf("interface %s: %w", name, err)
	}
	l := Link{Interface: link.Attrs().Name}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return Link{}, fmt.Errorf("addresses of %s: %w", l.Interface, err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP.To4())
		if !ok || a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue
		}
		ones, _ := a.Mask.Size()
		l.Addr = netip.PrefixFrom(ip, ones)
		break
	}
	if !l.Addr.IsValid() {
		return Link{}, fmt.Errorf("%s has no IPv4 address: pxed serves the subnet of the interface's address", l.Interface)
	}
	if def != nil && def.LinkIndex == link.Attrs().Index && def.Gw != nil {
		l.Gateway, _ = netip.AddrFromSlice(def.Gw.To4())
	}
	neigh, err := netlink.NeighList(link.Attrs().Index, netlink.FAMILY_V4)
	if err != nil {
		return Link{}, fmt.Errorf("neighbours of %s: %w", l.Interface, err)
	}
	for _, n := range neigh {
		// An entry still resolving, or whose owner never answered, is
		// no proof of a machine (ip-neighbour(8): INCOMPLETE, FAILED).
		if n.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) != 0 {
			continue
		}
		if a, ok := netip.AddrFromSlice(n.IP.To4()); ok {
			l.Neighbours = append(l.Neighbours, a)
		}
	}
	return l, nil
}

func isZeroMask(m net.IPMask) bool {
	ones, _ := m.Size()
	return ones == 0
}

// Listen sends one DISCOVER of its own on the interface (its hardware
// address, a transaction ID from crypto/rand) and waits at most wait for
// an OFFER with an address in it, sending the DISCOVER a second time at a
// third of wait in case the first was lost. It returns nil when none came.
// A ProxyDHCP server's offer (no address) does not count: it answers PXE
// clients only, and it gives no addresses.
func Listen(ctx context.Context, iface string, wait time.Duration) (*Offer, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	// Two tries; nclient4 doubles the timeout for the second: t + 2t = wait.
	c, err := nclient4.New(iface, nclient4.WithTimeout(wait/3), nclient4.WithRetry(2))
	if err != nil {
		return nil, fmt.Errorf("DHCP client on %s: %w", iface, err)
	}
	defer c.Close()
	discover, err := dhcpv4.NewDiscovery(c.InterfaceAddr(), dhcpv4.WithOption(dhcpv4.OptMaxMessageSize(nclient4.MaxMessageSize)))
	if err != nil {
		return nil, err
	}
	offered := func(m *dhcpv4.DHCPv4) bool {
		return m.MessageType() == dhcpv4.MessageTypeOffer && m.YourIPAddr != nil && !m.YourIPAddr.IsUnspecified()
	}
	m, err := c.SendAndRead(ctx, c.RemoteAddr(), discover, offered)
	switch {
	case errors.Is(err, nclient4.ErrNoResponse), errors.Is(err, context.DeadlineExceeded):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("DHCP DISCOVER on %s: %w", iface, err)
	}
	o := &Offer{}
	o.Offered, _ = netip.AddrFromSlice(m.YourIPAddr.To4())
	for _, ip := range []net.IP{m.ServerIdentifier(), m.ServerIPAddr} {
		if a, ok := netip.AddrFromSlice(ip.To4()); ok && !a.IsUnspecified() {
			o.Server = a
			break
		}
	}
	return o, nil
}
