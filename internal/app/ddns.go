package app

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/pxed/pxed/internal/ddns"
	"github.com/pxed/pxed/internal/lease"
)

// openDNSUpdates, with dns_updates on, starts the DNS updater and returns
// store wrapped so that each lease it records is handed to the updater:
// the DHCP servers and the allocator stay as they are, and an ACK waits
// only for the store, never for DNS (Observe queues). The updater first
// puts DNS right from the leases recorded so far, then runs until Run
// ends.
func (s *services) openDNSUpdates(ctx context.Context, store lease.Store) (lease.Store, error) {
	d := s.cfg.DNSUpdates
	if !d.On() {
		return store, nil
	}
	key, err := ddns.ReadKey(d.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("dns updates: %w", err)
	}
	recorded, err := store.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("dns updates: reading the recorded leases: %w", err)
	}
	u := ddns.New(ddns.Options{
		Zones: ddns.Zones{Forward: d.ForwardZone, Reverse: d.ReverseZones, TTL: d.TTL,
			Domain: func(ip netip.Addr) string {
				if sub, ok := s.live.Load().SubnetFor(ip); ok {
					return sub.DomainName
				}
				return ""
			}},
		Exchanger: &ddns.Client{Servers: d.ServerAddrs(), Key: key},
		Logger:    s.log,
	})
	s.met.WatchDNSUpdates(u)
	leases := make([]ddns.Lease, 0, len(recorded))
	for _, l := range recorded {
		if dl, ok := dnsLease(l); ok {
			leases = append(leases, dl)
		}
	}
	s.g.Go(func() error { return u.Run(ctx, leases) })
	s.log.Info("dns updates", "servers", d.ServerAddrs(), "zone", d.ForwardZone, "reverse", d.ReverseZones, "key", key.Name)
	return &namedStore{Store: store, u: u}, nil
}

// namedStore tells the DNS updater of every lease committed.
type namedStore struct {
	lease.Store
	u *ddns.Updater
}

func (n *namedStore) Commit(ctx context.Context, l lease.Lease) error {
	if err := n.Store.Commit(ctx, l); err != nil {
		return err
	}
	if dl, ok := dnsLease(l); ok {
		n.u.Observe(dl)
	}
	return nil
}

// dnsLease is what DNS needs of a DHCPv4 lease; a DHCPv6 lease or one
// without a name has nothing for it.
func dnsLease(l lease.Lease) (ddns.Lease, bool) {
	if _, _, v6 := l.Client().V6ID(); v6 || !l.IP.Is4() || l.Hostname == "" {
		return ddns.Lease{}, false
	}
	return ddns.Lease{IP: l.IP, MAC: l.MAC, ClientID: l.ClientID, Name: l.Hostname, Expires: l.Expires,
		Ended: l.State != lease.Bound}, true
}
