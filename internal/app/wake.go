package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/wol"
)

// waker sends the operator's Wake-on-LAN (web.Waker) to the directed
// broadcast address of the machine's subnet.
type waker struct {
	cfg    *config.Config
	evlog  *events.Log // where the machine's last address is known
	sender wol.Sender
	log    *slog.Logger
}

// Wake sends mac's magic packet to each address wakeTargets names.
func (w *waker) Wake(ctx context.Context, mac net.HardwareAddr, ip netip.Addr) ([]netip.Addr, error) {
	var last netip.Addr
	if s, ok := w.evlog.Summary(mac.String()); ok {
		last = s.IPs[0]
	}
	to := wakeTargets(w.cfg, ip, last)
	if len(to) == 0 {
		return nil, errors.New("no IPv4 subnet in dhcp.subnets to send the magic packet to")
	}
	var errs []error
	var sent []netip.Addr
	for _, a := range to {
		if err := w.sender.Send(ctx, a, mac, nil); err != nil {
			errs = append(errs, err)
			continue
		}
		sent = append(sent, a)
	}
	w.log.Info("wake-on-LAN sent", "mac", mac.String(), "to", fmt.Sprint(sent))
	if len(sent) == 0 {
		return nil, errors.Join(errs...)
	}
	return sent, nil
}

// wakeTargets says where a magic packet for a machine goes: the broadcast
// address of the subnet of its host entry's address, else of the address
// it last leased, else of every IPv4 DHCP subnet (a machine pxed knows
// nothing of may sleep on any of them). A subnet's broadcast_address,
// when set, is its broadcast; else the directed broadcast of its network.
func wakeTargets(cfg *config.Config, hostIP, lastIP netip.Addr) []netip.Addr {
	for _, a := range []netip.Addr{hostIP, lastIP} {
		if !a.IsValid() {
			continue
		}
		if sub, ok := cfg.SubnetFor(a); ok {
			if b := subnetBroadcast(sub); b.IsValid() {
				return []netip.Addr{b}
			}
		}
	}
	var out []netip.Addr
	for i := range cfg.DHCP.Subnets {
		if b := subnetBroadcast(&cfg.DHCP.Subnets[i]); b.IsValid() {
			out = append(out, b)
		}
	}
	return out
}

func subnetBroadcast(s *config.Subnet) netip.Addr {
	if s.Broadcast.IsValid() && s.Broadcast.Is4() {
		return s.Broadcast.Addr
	}
	return wol.DirectedBroadcast(s.Network.Prefix)
}
