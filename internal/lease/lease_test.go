package lease

import (
	"bytes"
	"net"
	"testing"
)

// TestV6ID: the DUID and IAID come back out of a DHCPv6 client's key as
// the DHCPv6 server makes it; a DHCPv4 client identifier is not one, even
// one that starts like it.
func TestV6ID(t *testing.T) {
	t.Parallel()
	duidLL := []byte{0, 3, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56}
	for _, c := range []struct {
		name     string
		client   Client
		wantDUID []byte
		wantIAID uint32
		wantOK   bool
	}{
		{"DUID-LL, IAID 1", Client{ID: append(append([]byte("v6:"), duidLL...), 0, 0, 0, 1)}, duidLL, 1, true},
		{"IAID of four octets", Client{ID: append(append([]byte("v6:"), duidLL...), 0x0e, 0x5c, 0x7e, 0x45)}, duidLL, 0x0e5c7e45, true},
		{"DHCPv4 client identifier", Client{ID: []byte{1, 0x52, 0x54, 0, 0x12, 0x34, 0x56}}, nil, 0, false},
		{"by MAC only", Client{MAC: net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}}, nil, 0, false},
		{"prefix without an IAID", Client{ID: []byte("v6:ab")}, nil, 0, false},
	} {
		duid, iaid, ok := c.client.V6ID()
		if ok != c.wantOK || !bytes.Equal(duid, c.wantDUID) || iaid != c.wantIAID {
			t.Errorf("%s: V6ID() = % x, %#x, %v; want % x, %#x, %v", c.name, duid, iaid, ok, c.wantDUID, c.wantIAID, c.wantOK)
		}
	}
}
