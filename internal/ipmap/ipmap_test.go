package ipmap

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/lease"
)

var (
	st01 = net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	st02 = net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x21}
	ip01 = netip.MustParseAddr("192.168.1.101")
)

func TestLearned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		e    events.Event
		ok   bool
	}{
		{"ACK", events.Event{Kind: events.DHCPAck, MAC: st01, IP: ip01}, true},
		{"ProxyDHCP ACK", events.Event{Kind: events.ProxyAck, MAC: st01, IP: ip01}, true},
		{"BOOTREPLY", events.Event{Kind: events.BOOTPReply, MAC: st01, IP: ip01}, true},
		{"BOOTREQUEST", events.Event{Kind: events.BOOTPRequest, MAC: st01, IP: ip01}, false},
		{"ACK over a dual-stack socket", events.Event{Kind: events.DHCPAck, MAC: st01, IP: netip.AddrFrom16(ip01.As16())}, true},
		{"OFFER: not held yet", events.Event{Kind: events.DHCPOffer, MAC: st01, IP: ip01}, false},
		{"file: names no MAC", events.Event{Kind: events.FileServed, IP: ip01}, false},
		{"ACK without address", events.Event{Kind: events.DHCPAck, MAC: st01}, false},
	} {
		ip, mac, ok := learned(tc.e)
		if ok != tc.ok || (ok && (ip != ip01 || mac.String() != st01.String())) {
			t.Errorf("%s: learned %v %v %v, want %v", tc.name, ip, mac, ok, tc.ok)
		}
	}
}

func TestObserve(t *testing.T) {
	t.Parallel()
	var m Map
	m.Observe(lease.Lease{IP: ip01, MAC: st01, State: lease.Bound})
	if mac, ok := m.MAC(ip01); !ok || mac.String() != st01.String() {
		t.Fatalf("bound lease: %v %v", mac, ok)
	}
	// Another client's release leaves st01's holding alone.
	m.Observe(lease.Lease{IP: ip01, MAC: st02, State: lease.Released})
	if _, ok := m.MAC(ip01); !ok {
		t.Error("a release by another MAC removed st01")
	}
	m.Observe(lease.Lease{IP: ip01, MAC: st01, State: lease.Released})
	if mac, ok := m.MAC(ip01); ok {
		t.Errorf("released lease still names %v", mac)
	}
	// A later holder replaces an earlier one.
	m.Record(events.Event{Kind: events.DHCPAck, MAC: st01, IP: ip01})
	m.Observe(lease.Lease{IP: ip01, MAC: st02, State: lease.Bound})
	if mac, _ := m.MAC(ip01); mac.String() != st02.String() {
		t.Errorf("after st02's lease: %v", mac)
	}
}

func TestBounded(t *testing.T) {
	t.Parallel()
	var m Map
	for i := range MaxEntries + 10 {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		m.Record(events.Event{Kind: events.DHCPAck, MAC: st01, IP: ip})
	}
	if n := len(m.byIP); n != MaxEntries {
		t.Errorf("%d addresses remembered, want at most %d", n, MaxEntries)
	}
	n := MaxEntries + 9
	last := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
	if _, ok := m.MAC(last); !ok {
		t.Error("the newest address was not kept")
	}
}

// store is a fake shared lease store.
type store struct {
	mu     sync.Mutex
	leases map[netip.Addr]lease.Lease
	err    error
	calls  atomic.Int32
	block  chan struct{} // when set, lookups wait for it
}

func (s *store) get(ctx context.Context, ip netip.Addr) (lease.Lease, bool, error) {
	s.calls.Add(1)
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return lease.Lease{}, false, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leases[ip]
	return l, ok, s.err
}

func TestHolderAsksTheStore(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	st := &store{leases: map[netip.Addr]lease.Lease{ip01: {IP: ip01, MAC: st01, State: lease.Bound}}}
	m := &Map{Lookup: st.get, Now: func() time.Time { return now }}
	ctx := context.Background()

	if mac, ok := m.Holder(ctx, ip01); !ok || mac.String() != st01.String() {
		t.Fatalf("Holder(%s) = %v %v, want station-01 from the store", ip01, mac, ok)
	}
	m.Holder(ctx, ip01)
	if n := st.calls.Load(); n != 1 {
		t.Errorf("%d lookups for one address, want 1 (then memory)", n)
	}

	// An address the store does not know is asked again only after MissTTL.
	other := netip.MustParseAddr("192.168.1.150")
	for range 10 {
		if _, ok := m.Holder(ctx, other); ok {
			t.Fatal("an unknown address named a machine")
		}
	}
	if n := st.calls.Load(); n != 2 {
		t.Errorf("%d lookups after ten requests from an unknown address, want 2", n)
	}
	now = now.Add(MissTTL)
	m.Holder(ctx, other)
	if n := st.calls.Load(); n != 3 {
		t.Errorf("%d lookups once the miss expired, want 3", n)
	}

	// A store failure is not remembered as a miss.
	st.err = errors.New("connection refused")
	third := netip.MustParseAddr("192.168.1.151")
	m.Holder(ctx, third)
	m.Holder(ctx, third)
	if n := st.calls.Load(); n != 5 {
		t.Errorf("%d lookups, want 5: a failed lookup is tried again", n)
	}
}

func TestHolderBoundsLookups(t *testing.T) {
	t.Parallel()
	st := &store{block: make(chan struct{})}
	m := &Map{Lookup: st.get}
	var wg sync.WaitGroup
	for i := range MaxLookups {
		wg.Go(func() { m.Holder(context.Background(), netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})) })
	}
	for st.calls.Load() < MaxLookups {
		time.Sleep(time.Millisecond)
	}
	// Every slot is taken: the next request goes on at once, unnamed.
	start := time.Now()
	if _, ok := m.Holder(context.Background(), ip01); ok || time.Since(start) > LookupTimeout/2 {
		t.Errorf("a request past MaxLookups waited %v", time.Since(start))
	}
	close(st.block)
	wg.Wait()
	if n := st.calls.Load(); n != MaxLookups {
		t.Errorf("%d lookups, want %d", n, MaxLookups)
	}
}

type log []events.Event

func (l *log) Record(e events.Event) { *l = append(*l, e) }

// TestNamed: file events reach the recorders under the MAC of the machine
// holding their address, known from a local ACK or from the store (asked
// by WhoAsks when the file was opened).
func TestNamed(t *testing.T) {
	t.Parallel()
	ip02 := netip.MustParseAddr("192.168.1.102")
	st := &store{leases: map[netip.Addr]lease.Lease{ip02: {IP: ip02, MAC: st02, State: lease.Bound}}}
	m := &Map{Lookup: st.get}
	var got log
	rec := m.Named(&got)
	rec.Record(events.Event{Kind: events.DHCPAck, MAC: st01, IP: ip01, Proto: "dhcp"})
	rec.Record(events.Event{Kind: events.FileServed, IP: ip01, Proto: "tftp", File: "pxelinux.0"})
	rec.Record(events.Event{Kind: events.FileServed, IP: ip02, Proto: "tftp", File: "pxelinux.0"}) // not asked yet
	if _, err := m.WhoAsks().Open(context.Background(), &bootfs.Request{Path: "pxelinux.0", Remote: netip.AddrPortFrom(ip02, 2070)}); err == nil {
		t.Error("WhoAsks served a file")
	}
	rec.Record(events.Event{Kind: events.FileServed, IP: ip02, Proto: "http", File: "linux"})
	var macs []string
	for _, e := range got {
		macs = append(macs, e.MAC.String())
	}
	want := []string{st01.String(), st01.String(), "", st02.String()}
	if diff := cmp.Diff(want, macs); diff != "" {
		t.Errorf("MACs of the recorded events (-want +got):\n%s", diff)
	}
}
