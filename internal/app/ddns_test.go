package app

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/ddns"
	"github.com/pxed/pxed/internal/lease"
)

// TestNamedStore: every DHCPv4 lease with a name that the store records
// reaches the DNS updater (bound or ended); DHCPv6 leases, leases without
// a name and commits the store refused do not.
func TestNamedStore(t *testing.T) {
	mem := lease.NewMem(time.Now)
	u := ddns.New(ddns.Options{}) // no worker: what Observe took waits in the queue
	s := &namedStore{Store: mem, u: u}
	ctx := context.Background()
	mac := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x21}
	other := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x22}
	exp := time.Now().Add(time.Hour)
	commits := []struct {
		l      lease.Lease
		queued bool
	}{
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.102"), MAC: mac, Hostname: "station-02", State: lease.Bound, Expires: exp}, true},
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.102"), MAC: mac, Hostname: "station-02", State: lease.Released, Expires: time.Now()}, true},
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.150"), MAC: other, State: lease.Bound, Expires: exp}, false},
		{lease.Lease{IP: netip.MustParseAddr("2001:db8::5"), MAC: mac, ClientID: append([]byte("v6:\x00\x03\x00\x01"), 0, 0, 0, 1), Hostname: "station-02", State: lease.Bound, Expires: exp}, false},
		// Another client's address, still bound: the store refuses it.
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.151"), MAC: mac, Hostname: "a", State: lease.Bound, Expires: exp}, true},
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.151"), MAC: other, Hostname: "b", State: lease.Bound, Expires: exp}, false},
	}
	want := 0
	for i, c := range commits {
		err := s.Commit(ctx, c.l)
		if c.queued {
			want++
			if err != nil {
				t.Fatalf("commit %d: %v", i, err)
			}
		}
		if got := u.Counts().Queued; got != want {
			t.Errorf("after commit %d (%s %s): %d queued, want %d", i, c.l.IP, c.l.State, got, want)
		}
	}
}
