package web

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/inflight"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/probe"
)

// getAs serves one GET of path on s with the token and decodes its JSON.
func getAs[T any](t *testing.T, s *Server, path, token string) (int, T) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var v T
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, rec.Body)
		}
	}
	return rec.Code, v
}

// TestTransfersRoute: the transfers running now, with the machine of each
// client address when it is known, behind read access.
func TestTransfersRoute(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	reg := &inflight.Registry{Now: func() time.Time { return t0 }}
	known := netip.MustParseAddr("192.168.1.101")
	mac, _ := net.ParseMAC("52:54:00:12:34:01")
	sent, end := reg.Begin("http", "debian-installer/amd64/initrd.gz", netip.AddrPortFrom(known, 49152), 40810276)
	defer end()
	sent(10 << 20)
	_, end2 := reg.Begin("tftp", "pxelinux.0", netip.MustParseAddrPort("[::ffff:192.168.1.150]:2070"), 42430)
	defer end2()

	s := &Server{Token: []byte("tok")}
	s.HandleFunc("GET /api/v1/transfers", Read, Transfers(reg, func(ip netip.Addr) (net.HardwareAddr, bool) {
		return mac, ip == known
	}))
	if code, _ := getAs[TransfersJSON](t, s, "/api/v1/transfers", ""); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
	code, got := getAs[TransfersJSON](t, s, "/api/v1/transfers", "tok")
	want := TransfersJSON{Transfers: []TransferJSON{
		{ID: 1, Proto: "http", File: "debian-installer/amd64/initrd.gz", IP: "192.168.1.101", MAC: "52:54:00:12:34:01", Size: 40810276, Sent: 10 << 20, Started: t0},
		{ID: 2, Proto: "tftp", File: "pxelinux.0", IP: "192.168.1.150", Size: 42430, Started: t0},
	}}
	if code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("transfers (-want +got):\n%s", d)
	}
}

// TestPoolsRoute: each pool's use, its squatters (declined addresses held
// back now) and its declines (those too whose hold has ended).
func TestPoolsRoute(t *testing.T) {
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	r4 := lease.Range{First: netip.MustParseAddr("192.168.1.150"), Last: netip.MustParseAddr("192.168.1.199")}
	r6 := lease.Range{First: netip.MustParseAddr("2001:db8:1::1000"), Last: netip.MustParseAddr("2001:db8:1::1fff")}
	mac, _ := net.ParseMAC("52:54:00:aa:bb:cc")
	ls := []lease.Lease{
		{IP: netip.MustParseAddr("192.168.1.100"), MAC: mac, State: lease.Declined, Expires: now.Add(time.Hour)}, // a reservation: in no pool
		{IP: netip.MustParseAddr("192.168.1.150"), MAC: mac, State: lease.Bound, Expires: now.Add(time.Hour)},
		{IP: netip.MustParseAddr("192.168.1.151"), MAC: mac, State: lease.Declined, Expires: now.Add(time.Hour)},
		{IP: netip.MustParseAddr("192.168.1.152"), State: lease.Declined, Expires: now.Add(-time.Minute)}, // hold ended
		{IP: netip.MustParseAddr("192.168.1.153"), MAC: mac, State: lease.Released, Expires: now.Add(time.Hour)},
	}
	usage := func(r lease.Range) (int, int) {
		if r == r4 {
			return 2, 48
		}
		return 0, 4096
	}
	var fail error
	src := PoolSource{
		Pools: func() []Pool {
			return []Pool{{Subnet: netip.MustParsePrefix("192.168.1.0/24"), Range: r4}, {Subnet: netip.MustParsePrefix("2001:db8:1::/64"), Range: r6}}
		},
		Usage:    usage,
		All:      func(context.Context) ([]lease.Lease, error) { return ls, fail },
		Counters: func() (uint64, uint64) { return 3, 1 },
		Now:      func() time.Time { return now },
	}
	s := &Server{Token: []byte("tok")}
	s.HandleFunc("GET /api/v1/pools", Read, Pools(src))
	code, got := getAs[PoolsJSON](t, s, "/api/v1/pools", "tok")
	if code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	want := PoolsJSON{Declines: 3, Conflicts: 1, Pools: []PoolJSON{
		{Subnet: "192.168.1.0/24", First: "192.168.1.150", Last: "192.168.1.199", Family: "ipv4", InUse: 2, Free: 48, Declines: 2,
			Squatters: []SquatterJSON{{IP: "192.168.1.151", MAC: "52:54:00:aa:bb:cc", Until: now.Add(time.Hour)}}},
		{Subnet: "2001:db8:1::/64", First: "2001:db8:1::1000", Last: "2001:db8:1::1fff", Family: "ipv6", Free: 4096, Squatters: []SquatterJSON{}},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("pools (-want +got):\n%s", d)
	}

	fail = errors.New("disk on fire")
	req := httptest.NewRequest(http.MethodGet, "/api/v1/pools", nil)
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "disk on fire") {
		t.Errorf("store failing: %d %s, want 500 with its reason", rec.Code, rec.Body)
	}
}

// TestPoolsWithConflicts: a squatter the prober held back says which probe
// found it and when; a reservation answered by another machine is listed
// with both MACs.
func TestPoolsWithConflicts(t *testing.T) {
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	sub := netip.MustParsePrefix("192.168.1.0/24")
	squatter, _ := net.ParseMAC("02:aa:00:00:00:01")
	station, _ := net.ParseMAC("52:54:00:12:34:02")
	v := PoolsJSON{Pools: []PoolJSON{{Subnet: sub.String(), Squatters: []SquatterJSON{
		{IP: "192.168.1.150", MAC: squatter.String(), Until: now.Add(10 * time.Minute)},
		{IP: "192.168.1.151", MAC: station.String(), Until: now.Add(time.Hour)}, // a DECLINE
	}}}}
	WithConflicts(&v, []probe.Conflict{
		{Kind: probe.Pool, Method: probe.ARP, Subnet: sub, IP: netip.MustParseAddr("192.168.1.150"), MAC: squatter, Seen: now, Until: now.Add(10 * time.Minute)},
		{Kind: probe.Reservation, Method: probe.ARP, Subnet: sub, IP: netip.MustParseAddr("192.168.1.102"), MAC: squatter, Seen: now, Host: "station-02", Reserved: station},
		{Kind: probe.Reservation, Method: probe.ICMP, Subnet: netip.MustParsePrefix("192.168.2.0/24"), IP: netip.MustParseAddr("192.168.2.101"), Seen: now, Host: "far-01"},
	})
	want := PoolsJSON{Pools: []PoolJSON{{Subnet: sub.String(), Squatters: []SquatterJSON{
		{IP: "192.168.1.150", MAC: squatter.String(), Until: now.Add(10 * time.Minute), FoundBy: "arp", Seen: now},
		{IP: "192.168.1.151", MAC: station.String(), Until: now.Add(time.Hour)},
	}}}, ReservationSquatters: []ReservationSquatterJSON{
		{Subnet: "192.168.1.0/24", IP: "192.168.1.102", Host: "station-02", ReservedMAC: station.String(), MAC: squatter.String(), FoundBy: "arp", Seen: now},
		{Subnet: "192.168.2.0/24", IP: "192.168.2.101", Host: "far-01", FoundBy: "icmp", Seen: now},
	}}
	if d := cmp.Diff(want, v); d != "" {
		t.Errorf("pools (-want +got):\n%s", d)
	}
}
