package ra

import (
	"net"
	"testing"

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
