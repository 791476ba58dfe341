package dhcp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/lease"
)

// instance is one pxed of several sharing a lease store: its own
// allocator (in-memory view) and server address.
type instance struct {
	r     *Responder
	alloc *lease.Allocator
	in    Ingress
}

func sharedInstances(t *testing.T, store lease.Store, now func() time.Time, ips ...string) []*instance {
	t.Helper()
	cfg := lab(t)
	var out []*instance
	for _, ip := range ips {
		alloc, err := lease.NewAllocator(context.Background(), store, now, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewResponder(cfg, alloc, now)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &instance{r: r, alloc: alloc, in: Ingress{Iface: "br0", ServerIP: netip.MustParseAddr(ip)}})
	}
	return out
}

// do decides req and commits as the server does: on a conflict the
// prepared Conflict reply (a NAK, or nothing) replaces the ACK.
func (x *instance) do(t *testing.T, req *dhcpv4.DHCPv4) (Decision, error) {
	t.Helper()
	d := x.r.Respond(req, x.in)
	if d.Commit == nil {
		return d, nil
	}
	err := x.alloc.Commit(context.Background(), *d.Commit)
	if errors.Is(err, lease.ErrConflict) {
		d.Reply = d.Conflict
	} else if err != nil {
		t.Fatal(err)
	}
	return d, err
}

func yiaddr(d Decision) string {
	if d.Reply == nil {
		return ""
	}
	return d.Reply.YourIPAddr.String()
}

// Two instances that do not see each other's offers offer one address to
// two clients; the store lets the first REQUEST have it, the second gets a
// NAK (RFC 2131 §3.1 step 4) and its next DISCOVER another address.
func TestSharedStoreOfferLosesRace(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	store := lease.NewMem(c.now)
	xs := sharedInstances(t, store, c.now, "192.168.1.21", "192.168.1.22")
	a, b := xs[0], xs[1]

	da, _ := a.do(t, msg(t, dhcpv4.MessageTypeDiscover, stranger))
	db, _ := b.do(t, msg(t, dhcpv4.MessageTypeDiscover, stranger2))
	ip := yiaddr(da)
	if ip == "" || yiaddr(db) != ip {
		t.Fatalf("offers %q and %q: the instances were expected to race for one address", ip, yiaddr(db))
	}
	if d, err := a.do(t, msg(t, dhcpv4.MessageTypeRequest, stranger, requested(ip), serverID("192.168.1.21"))); err != nil || d.Reply.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("first REQUEST: %v, %+v", err, d)
	}
	d, err := b.do(t, msg(t, dhcpv4.MessageTypeRequest, stranger2, requested(ip), serverID("192.168.1.22")))
	if !errors.Is(err, lease.ErrConflict) || d.Reply == nil || d.Reply.MessageType() != dhcpv4.MessageTypeNak {
		t.Fatalf("losing REQUEST: err %v, reply %v; want a conflict and a NAK", err, d.Reply)
	}
	if got := d.Reply.ServerIdentifier().String(); got != "192.168.1.22" {
		t.Errorf("NAK from server identifier %s, want the instance that was asked", got)
	}
	again, _ := b.do(t, msg(t, dhcpv4.MessageTypeDiscover, stranger2))
	if got := yiaddr(again); got == "" || got == ip {
		t.Errorf("after losing %s, the next offer is %q; want another address", ip, got)
	}
	// Its REQUEST for that offer names instance b: a leaves it alone
	// (RFC 2131 §4.3.2, SELECTING)…
	req := msg(t, dhcpv4.MessageTypeRequest, stranger2, requested(yiaddr(again)), serverID("192.168.1.22"))
	if d, _ := a.do(t, req); d.Reply != nil || d.Commit != nil {
		t.Errorf("instance a answered a REQUEST for instance b: %+v", d)
	}
	if d, err := b.do(t, req); err != nil || d.Reply.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("REQUEST to b: %v %+v", err, d)
	}
	// …and no address in the store is held by two clients.
	all, _ := store.All(context.Background())
	holder := map[netip.Addr]string{}
	for _, l := range all {
		if h, ok := holder[l.IP]; ok && h != l.MAC.String() {
			t.Errorf("%s held by %s and %s", l.IP, h, l.MAC)
		}
		holder[l.IP] = l.MAC.String()
	}
	if len(all) != 2 {
		t.Errorf("store has %d leases, want 2: %+v", len(all), all)
	}
}

// A client whose server is gone rebinds by broadcast without a server
// identifier (RFC 2131 §4.4.5): any instance extends the lease the store
// has, even one that never saw it.
func TestSharedStoreRebindAtAnotherInstance(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	store := lease.NewMem(c.now)
	xs := sharedInstances(t, store, c.now, "192.168.1.21", "192.168.1.22")
	a, b := xs[0], xs[1]
	a.do(t, msg(t, dhcpv4.MessageTypeDiscover, stranger))
	d, _ := a.do(t, msg(t, dhcpv4.MessageTypeRequest, stranger, requested("192.168.1.150"), serverID("192.168.1.21")))
	ip := yiaddr(d)
	c.t = c.t.Add(11 * time.Hour) // past T2 of the lab's 12 h lease
	rebind := msg(t, dhcpv4.MessageTypeRequest, stranger, dhcpv4.WithClientIP(net.ParseIP(ip)), dhcpv4.WithBroadcast(true))
	d, err := b.do(t, rebind)
	if err != nil || d.Reply == nil || d.Reply.MessageType() != dhcpv4.MessageTypeAck || yiaddr(d) != ip {
		t.Fatalf("REBINDING at the other instance: %v, %+v", err, d)
	}
	l, _, _ := store.Get(context.Background(), netip.MustParseAddr(ip))
	if want := c.t.Add(12 * time.Hour); !l.Expires.Equal(want) {
		t.Errorf("lease expires %v after rebinding, want %v", l.Expires, want)
	}
	// A stranger's INIT-REBOOT for that address at b is refused by the
	// store even though b's view, built before, may not know the lease.
	other := msg(t, dhcpv4.MessageTypeRequest, stranger2, requested(ip))
	if d, err := b.do(t, other); err == nil && d.Reply != nil && d.Reply.MessageType() == dhcpv4.MessageTypeAck {
		t.Errorf("%s acknowledged to a second client", ip)
	}
}

// What one instance records reaches the other through Observe (the
// PostgreSQL store's follower calls it): an offer of that address to
// another client is withdrawn before its REQUEST comes.
func TestSharedStoreObserveWithdrawsOffer(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	store := lease.NewMem(c.now)
	xs := sharedInstances(t, store, c.now, "192.168.1.21", "192.168.1.22")
	a, b := xs[0], xs[1]
	db, _ := b.do(t, msg(t, dhcpv4.MessageTypeDiscover, stranger2))
	ip := yiaddr(db)
	a.do(t, msg(t, dhcpv4.MessageTypeDiscover, stranger))
	if d, err := a.do(t, msg(t, dhcpv4.MessageTypeRequest, stranger, requested(ip), serverID("192.168.1.21"))); err != nil || yiaddr(d) != ip {
		t.Fatalf("a binding %s: %v %+v", ip, err, d)
	}
	l, _, _ := store.Get(context.Background(), netip.MustParseAddr(ip))
	b.alloc.Observe(l)
	if b.alloc.Available(netip.MustParseAddr(ip), lease.Client{MAC: stranger2}) {
		t.Errorf("%s still available to %s at b after observing a's lease", ip, stranger2)
	}
	again, _ := b.do(t, msg(t, dhcpv4.MessageTypeDiscover, stranger2))
	if got := yiaddr(again); got == "" || got == ip {
		t.Errorf("b offers %q after observing %s taken; want another address", got, ip)
	}
}
