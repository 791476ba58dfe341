package app

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"sync/atomic"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/ddns"
	"github.com/pxed/pxed/internal/lease"
)

// openDNSUpdates returns store wrapped so that each lease it records is
// handed to the DNS updater while dns_updates is on (namedStore): the DHCP
// servers and the allocator stay as they are, and an ACK waits only for
// the store, never for DNS (Observe queues). With dns_updates on, the
// updater starts: it first puts DNS right from the leases recorded so
// far, then runs until ctx ends. A reload may turn it on, off, or give it
// other settings (namedStore.prepare).
func (s *services) openDNSUpdates(ctx context.Context, store lease.Store) (lease.Store, error) {
	n := &namedStore{Store: store, ctx: ctx, s: s}
	s.named = n
	commit, _, err := n.prepare(ctx, s.cfg)
	if err != nil {
		return nil, err
	}
	commit()
	return n, nil
}

// namedStore tells the DNS updater of every lease committed while DNS
// updates are on.
type namedStore struct {
	lease.Store
	// on is the updater while dns_updates is on; nil while off.
	on atomic.Pointer[ddns.Updater]

	// The rest is the reload's (one at a time, services.reloadMu) and
	// the start's.
	ctx context.Context // the updater's worker runs until it ends
	s   *services
	u   *ddns.Updater // made the first time updates are on; lives until ctx ends
	key ddns.Key      // the key signing now
	set config.DNSUpdates
}

func (n *namedStore) Commit(ctx context.Context, l lease.Lease) error {
	if err := n.Store.Commit(ctx, l); err != nil {
		return err
	}
	if u := n.on.Load(); u != nil {
		if dl, ok := dnsLease(l); ok {
			u.Observe(dl)
		}
	}
	return nil
}

// prepare readies the dns_updates of cfg: it reads the key file (a key
// rotated in the same file is read anew) and, when updates turn on, the
// recorded leases. What can fail is done here, so that a reload refused
// keeps the updater as it was; commit, which cannot fail, puts cfg's
// settings to work: the updater's waiting leases, retries and scheduled
// removals carry over to them (ddns.Updater.Reconfigure). keyChanged
// reports a key file whose key is no longer the one signing.
func (n *namedStore) prepare(ctx context.Context, cfg *config.Config) (commit func(), keyChanged bool, err error) {
	d := cfg.DNSUpdates
	running := n.on.Load() != nil
	if !d.On() {
		return func() {
			if running {
				n.on.Store(nil)
				n.u.Reconfigure(ddns.Zones{}, nil)
				n.s.log.Info("dns updates off: the names in DNS stay as they are")
			}
			n.set, n.key = d, ddns.Key{}
		}, false, nil
	}
	key, err := ddns.ReadKey(d.KeyFile)
	if err != nil {
		return nil, false, fmt.Errorf("dns updates: %w", err)
	}
	keyChanged = running && d.KeyFile == n.set.KeyFile && key != n.key
	var leases []ddns.Lease
	if !running {
		recorded, err := n.Store.All(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("dns updates: reading the recorded leases: %w", err)
		}
		leases = make([]ddns.Lease, 0, len(recorded))
		for _, l := range recorded {
			if dl, ok := dnsLease(l); ok {
				leases = append(leases, dl)
			}
		}
	}
	z := ddns.Zones{Forward: d.ForwardZone, Reverse: d.ReverseZones, TTL: d.TTL, Domain: n.s.domainOf}
	ex := &ddns.Client{Servers: d.ServerAddrs(), Key: key}
	return func() {
		switch {
		case n.u == nil:
			u := ddns.New(ddns.Options{Zones: z, Exchanger: ex, Logger: n.s.log})
			n.u = u
			n.s.met.WatchDNSUpdates(u)
			n.s.g.Go(func() error { return u.Run(n.ctx, leases) })
		case !running:
			n.u.Reconfigure(z, ex)
			n.u.Resync(leases)
		default:
			n.u.Reconfigure(z, ex)
		}
		n.on.Store(n.u)
		same := running && key == n.key && reflect.DeepEqual(d, n.set)
		n.set, n.key = d, key
		if !same {
			n.s.log.Info("dns updates", "servers", d.ServerAddrs(), "zone", d.ForwardZone, "reverse", d.ReverseZones, "key", key.Name)
		}
	}, keyChanged, nil
}

// domainOf is the domain names go under for ip: its subnet's domain_name
// in the config serving now.
func (s *services) domainOf(ip netip.Addr) string {
	if sub, ok := s.live.Load().SubnetFor(ip); ok {
		return sub.DomainName
	}
	return ""
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
