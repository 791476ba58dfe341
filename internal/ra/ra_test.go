package ra

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

func TestAdvertisementIsMinimal(t *testing.T) {
	t.Parallel()
	mac := net.HardwareAddr{0x02, 0x42, 0xc0, 0xa8, 0x01, 0x15}
	b := Advertisement(mac)
	m, err := icmp.ParseMessage(58, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != ipv6.ICMPTypeRouterAdvertisement || m.Code != 0 {
		t.Fatalf("type %v code %d", m.Type, m.Code)
	}
	// RFC 4861 §4.2: hop limit, M/O flags, router lifetime, reachable and
	// retrans timers all zero; one option, the source link-layer address.
	want := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x02, 0x42, 0xc0, 0xa8, 0x01, 0x15}
	if diff := cmp.Diff(want, b[4:]); diff != "" {
		t.Errorf("advertisement body (-want +got):\n%s", diff)
	}
	if len(b)%8 != 0 {
		t.Errorf("length %d is not a multiple of 8 octets", len(b))
	}
}

func TestIsSolicitation(t *testing.T) {
	t.Parallel()
	rs := []byte{133, 0, 0, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		name string
		msg  []byte
		hop  int
		want bool
	}{
		{"solicitation", rs, 255, true},
		{"with source link-layer option", append(append([]byte{}, rs...), 1, 1, 2, 0, 0, 0, 0, 1), 255, true},
		{"forwarded by a router", rs, 254, false},
		{"short", rs[:4], 255, false},
		{"advertisement", []byte{134, 0, 0, 0, 0, 0, 0, 0}, 255, false},
		{"bad code", []byte{133, 1, 0, 0, 0, 0, 0, 0}, 255, false},
	} {
		if got, why := isSolicitation(tc.msg, tc.hop); got != tc.want {
			t.Errorf("%s: %v (%s), want %v", tc.name, got, why, tc.want)
		}
	}
}

// TestAdvertisementLayout checks the bytes against RFC 4861 §4.2 (the
// header) and §4.6.2 (Prefix Information).
func TestAdvertisementLayout(t *testing.T) {
	t.Parallel()
	mac := net.HardwareAddr{0x02, 0x42, 0xc0, 0xa8, 0x01, 0x15}
	a := Advert{
		Managed: true, Other: true, RouterLifetime: 180 * time.Second,
		Prefixes: []Prefix{
			{Prefix: netip.MustParsePrefix("2001:db8:1::/64")},
			{Prefix: netip.MustParsePrefix("2001:db8:2::/64"), Autonomous: true, ValidLifetime: time.Hour, PreferredLifetime: 30 * time.Minute},
			{Prefix: netip.MustParsePrefix("2001:db8:3::/48"), ValidLifetime: 1 << 62}, // longer than 32 bits of seconds: infinity
		},
	}
	b := a.Bytes(mac)
	want := []byte{
		134, 0, 0, 0, // type, code, checksum (the kernel's)
		0,           // cur hop limit
		0x80 | 0x40, // M, O
		0, 180,      // router lifetime
		0, 0, 0, 0, 0, 0, 0, 0, // reachable, retrans
		1, 1, 0x02, 0x42, 0xc0, 0xa8, 0x01, 0x15, // source link-layer address
		3, 4, 64, 0x80, // prefix information, 32 octets, /64, L
		0x00, 0x27, 0x8d, 0x00, // valid 2592000 s (30 days)
		0x00, 0x09, 0x3a, 0x80, // preferred 604800 s (7 days)
		0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		3, 4, 64, 0x80 | 0x40, // L, A
		0, 0, 0x0e, 0x10, // 3600 s
		0, 0, 0x07, 0x08, // 1800 s
		0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		3, 4, 48, 0x80,
		0xff, 0xff, 0xff, 0xff, // infinity
		0x00, 0x09, 0x3a, 0x80,
		0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("advertisement (-want +got):\n%s", diff)
	}
	if len(b)%8 != 0 {
		t.Errorf("length %d is not a multiple of 8 octets", len(b))
	}
	// The same message as golang.org/x/net parses it.
	m, err := icmp.ParseMessage(58, b)
	if err != nil || m.Type != ipv6.ICMPTypeRouterAdvertisement {
		t.Fatalf("%v, %v", m, err)
	}
	if got := Advertisement(mac); !bytes.Equal(got, (Advert{}).Bytes(mac)) || len(got) != 24 {
		t.Errorf("the minimal advertisement changed: % x", got)
	}
}

// TestNextAdvert: RFC 4861 §6.2.4 intervals, uniformly between
// MinRtrAdvInterval and MaxRtrAdvInterval, the first three at most 16 s.
func TestNextAdvert(t *testing.T) {
	t.Parallel()
	for _, hi := range []time.Duration{4 * time.Second, 60 * time.Second, 1800 * time.Second} {
		lo := minInterval(hi)
		if lo < 3*time.Second || lo > hi*3/4 {
			t.Errorf("MinRtrAdvInterval %v for %v", lo, hi)
		}
		for range 1000 {
			for n := 1; n <= 4; n++ {
				d := nextAdvert(n, hi)
				top := hi
				if n < maxInitialAdverts {
					top = min(hi, maxInitialInterval)
				}
				if d < min(lo, top) || d > top {
					t.Fatalf("advertisement %d with MaxRtrAdvInterval %v: next after %v", n, hi, d)
				}
			}
		}
	}
	if got := minInterval(60 * time.Second); got != 19800*time.Millisecond {
		t.Errorf("MinRtrAdvInterval for 60 s = %v, want 19.8 s (0.33 × 60 s)", got)
	}
}
